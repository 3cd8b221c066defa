import type { ActionReturn } from 'svelte/action';

export interface FitColumnsOptions {
  /** Changes whenever other rows or other words are shown (the visible rows, the language). */
  shown: unknown;
  /** The language: widths are measured afresh when it changes (other words, other widths). */
  lang: string;
  /**
   * Columns whose cells fill whatever width they get (a checkbox, a progress bar), by the class of their header
   * cell: their width in em of the header's font, or their header's longest part where that is wider.
   */
  fixed: Readonly<Record<string, number>>;
}

/** The width a cell's content takes on one line, also where the cell clips it today. */
function contentWidth(cell: Element): number {
  const range = document.createRange();
  range.selectNodeContents(cell);
  const children = [...cell.children].map((c) => c.scrollWidth);
  return Math.max(range.getBoundingClientRect().width, ...children);
}

let canvas: CanvasRenderingContext2D | null = null;

/** A header may wrap between words and after a hyphen (the sort arrow too), so it needs room for its longest part. */
function headerWidth(th: HTMLElement): number {
  const label = th.querySelector('button') ?? th;
  canvas ??= document.createElement('canvas').getContext('2d');
  if (!canvas) return 0;
  canvas.font = getComputedStyle(label).font;
  const parts = (label.textContent ?? '').trim().split(/\s+|(?<=-)/);
  return Math.max(0, ...parts.map((w) => canvas?.measureText(w).width ?? 0));
}

function padding(cell: Element): number {
  const s = getComputedStyle(cell);
  return parseFloat(s.paddingLeft) + parseFloat(s.paddingRight);
}

/**
 * Sizes the columns of a `table-layout: fixed` table to what they hold: each column as wide as its widest cell
 * seen so far (so a virtualized table does not jump while scrolling; measured afresh for another language), and
 * the last column takes what is left of the table's width, so no column stands empty and wide.
 */
export function fitColumns(table: HTMLTableElement, options: FitColumnsOptions): ActionReturn<FitColumnsOptions> {
  let widest = new Map<number, number>();
  // Widths only grow, so a row whose text has not changed since it was measured cannot widen a column: live
  // updates re-measure the rows they changed, not every cell (each measure forces a layout).
  let measured = new WeakMap<Element, string>();
  let lang = options.lang;
  let fixed = options.fixed;
  let frame = 0;

  const fit = () => {
    frame = 0;
    const heads = [...table.querySelectorAll<HTMLTableCellElement>('thead th')];
    const changed = [...table.querySelectorAll('tbody tr:not(.pad)')].filter((row) => measured.get(row) !== row.textContent);
    for (const row of changed) measured.set(row, row.textContent ?? '');
    heads.forEach((th, i) => {
      const em = Object.entries(fixed).find(([c]) => th.classList.contains(c))?.[1];
      // header and body cells have the same padding
      const pad = padding(th);
      let w = widest.get(i) ?? Math.max(headerWidth(th) + pad, em === undefined ? 0 : em * parseFloat(getComputedStyle(th).fontSize));
      if (em === undefined) {
        for (const row of changed) {
          const cell = row.children[i];
          if (cell) w = Math.max(w, contentWidth(cell) + pad);
        }
      }
      widest.set(i, Math.ceil(w));
    });
    const others = heads.slice(0, -1).reduce((sum, _, i) => sum + (widest.get(i) ?? 0), 0);
    heads.forEach((th, i) => {
      const w = widest.get(i) ?? 0;
      const px = i === heads.length - 1 ? Math.max(w, (table.parentElement?.clientWidth ?? 0) - others - 2) : w;
      th.style.width = `${px}px`;
    });
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(fit);
  };
  const resized = new ResizeObserver(schedule);
  if (table.parentElement) resized.observe(table.parentElement);
  schedule();

  return {
    update(next) {
      if (next.lang !== lang) {
        widest = new Map();
        measured = new WeakMap();
      }
      lang = next.lang;
      fixed = next.fixed;
      schedule();
    },
    destroy() {
      resized.disconnect();
      if (frame) cancelAnimationFrame(frame);
    },
  };
}
