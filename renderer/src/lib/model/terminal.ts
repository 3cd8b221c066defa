import type { CommandEvent } from '../../../../app/api/index.ts';

/** glog severities (update_engine logs through glog: `I0530 15:38:14.290454  2224 file.cc:241] text`). */
export type Severity = 'info' | 'warning' | 'error' | 'fatal';

export interface TerminalLine {
  kind: 'command' | 'output' | 'exit';
  text: string;
  /** From the line's glog prefix, or a failed exit; null for plain output, whichever stream it came on. */
  severity: Severity | null;
  /** How many identical lines in a row this one stands for. */
  count: number;
}

const letters: Record<string, Severity> = { I: 'info', W: 'warning', E: 'error', F: 'fatal' };
const words: Record<string, Severity> = { INFO: 'info', WARNING: 'warning', ERROR: 'error', FATAL: 'fatal' };
// glog since 0.7 (`I20261204 18:48:45.896731  1027 file.cc:241] text`), older glog (`I0530 …`), and the
// CoreOS-era `[0123/220706:INFO:update_engine_client.cc(245)] text`.
const glog = /^([IWEF])(?:\d{8}|\d{4}) \d{2}:\d{2}:\d{2}\.\d+\s+\d+ [^\]\s]+\] ?(.*)$/;
const chromiumLog = /^\[\d{4}\/\d{6}(?:\.\d+)?:(INFO|WARNING|ERROR|FATAL):[^\]]+\] ?(.*)$/;

/** The severity a log line states, and its message without the time stamp (repeats differ only in time). */
export function parseLogLine(text: string): { severity: Severity | null; message: string } {
  const g = glog.exec(text);
  if (g) return { severity: letters[g[1] ?? ''] ?? null, message: g[2] ?? '' };
  const c = chromiumLog.exec(text);
  if (c) return { severity: words[c[1] ?? ''] ?? null, message: c[2] ?? '' };
  return { severity: null, message: text };
}

/** One event per command start, output chunk and exit, as lines to show; a run of the same line is folded into one. */
export function terminalLines(events: readonly CommandEvent[], exitText: (data: string) => string): TerminalLine[] {
  const out: TerminalLine[] = [];
  let lastKey: string | null = null;
  const push = (line: Omit<TerminalLine, 'count'>, key: string | null) => {
    const last = out.at(-1);
    if (key !== null && key === lastKey && last) {
      out[out.length - 1] = { ...line, count: last.count + 1 };
      return;
    }
    out.push({ ...line, count: 1 });
    lastKey = key;
  };
  for (const ev of events) {
    if (ev.stream === 'command') push({ kind: 'command', text: `$ ${ev.command}`, severity: null }, null);
    else if (ev.stream === 'exit') push({ kind: 'exit', text: exitText(ev.data), severity: ev.data === '0' ? null : 'error' }, null);
    else {
      for (const text of ev.data.replace(/\n$/, '').split('\n')) {
        const { severity, message } = parseLogLine(text);
        push({ kind: 'output', text, severity }, `${ev.node}\u0000${severity ?? ''}\u0000${message}`);
      }
    }
  }
  return out;
}
