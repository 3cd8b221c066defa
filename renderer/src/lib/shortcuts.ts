/** The app's single-key shortcuts; each also works in German (the keys are the same). */
export type Shortcut = 'search' | 'help' | 'update';

const keys: Record<string, Shortcut> = { '/': 'search', '?': 'help', u: 'update' };

/** A shortcut only when nothing takes text input and no modifier is held (Ctrl+U, typing "u" in a field stay theirs). */
export function shortcutOf(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'target' | 'defaultPrevented'>): Shortcut | null {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return null;
  const target = event.target as { closest?: (selector: string) => unknown; isContentEditable?: boolean } | null;
  if (target?.isContentEditable || target?.closest?.('input, textarea, select, dialog[open]')) return null;
  return keys[event.key] ?? null;
}
