import { flatcarError, parseFailure, FlatcarParseError, type FlatcarError } from './errors.ts';
import { parseGlogLine, type LogLevel } from './glog.ts';
import { statusFromText, type UpdateEngineStatus } from './update-engine.ts';

export type WatchEvent =
  | { type: 'status'; status: UpdateEngineStatus }
  | { type: 'log'; level: LogLevel; message: string }
  | { type: 'gave-up'; error: FlatcarError }                  // no D-Bus proxy: update-engine is not running
  | { type: 'malformed'; error: FlatcarError; text: string }; // skipped input; parsing resumes at the next line

const WHAT = 'update_engine_client -watch_for_updates output';
const BLOCK_START = 'Got status update:';
const GAVE_UP = 'Giving up -- unable to get dbus proxy';
const MAX_LINE = 64 * 1024;

type BlockKey = 'last_checked_time' | 'progress' | 'current_operation' | 'new_version' | 'new_size';
const BLOCK_KEYS: readonly BlockKey[] = ['last_checked_time', 'progress', 'current_operation', 'new_version', 'new_size'];
const BLOCK_LINE = /^\s+([a-z_]+): ?(.*)$/;

/**
 * Incremental parser for the stderr of `update_engine_client -watch_for_updates`. Feed it chunks as they
 * arrive (split anywhere); it returns the events completed by each chunk. Each status update is one glog
 * message whose first line carries the log prefix and whose five field lines are indented.
 */
export class WatchStreamParser {
  #partial = '';
  #block: Map<BlockKey, string> | null = null;

  push(chunk: string): WatchEvent[] {
    const events: WatchEvent[] = [];
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop()!;
    if (this.#partial.length > MAX_LINE) {
      events.push(malformed(`a line longer than ${MAX_LINE} characters`, this.#partial.slice(0, 200)));
      this.#partial = '';
      this.#block = null;
    }
    for (const line of lines) this.#line(line.replace(/\r$/, ''), events);
    return events;
  }

  /** Call when the stream has ended: a pending line is parsed, an unfinished status block is reported. */
  end(): WatchEvent[] {
    const events: WatchEvent[] = [];
    if (this.#partial !== '') this.#line(this.#partial, events);
    this.#partial = '';
    if (this.#block) events.push(malformed('the stream ended inside a status update', ''));
    this.#block = null;
    return events;
  }

  #line(line: string, events: WatchEvent[]): void {
    if (line.trim() === '') return;
    const log = parseGlogLine(line);
    // A field line is indented; it may carry its own glog prefix (one LOG call per line) or none (one
    // multi-line LOG message). Both shapes are accepted.
    const field = BLOCK_LINE.exec(log ? log.message : line);
    if (this.#block && field) {
      this.#field(field[1]!, field[2]!.trim(), line, events);
      return;
    }
    if (this.#block) {
      events.push(malformed('a status update ended before all five fields', line));
      this.#block = null;
    }
    const message = log ? log.message : line.trim();
    if (message.trimEnd() === BLOCK_START) {
      this.#block = new Map();
      return;
    }
    if (message.startsWith(GAVE_UP)) {
      events.push({
        type: 'gave-up',
        error: flatcarError('dbus-unavailable', 'update_engine_client could not reach update-engine over D-Bus: the service is stopped or masked', { stderrTail: line }),
      });
      return;
    }
    if (log) events.push({ type: 'log', level: log.level, message: log.message });
    else events.push(malformed('not a log line', line));
  }

  #field(key: string, value: string, line: string, events: WatchEvent[]): void {
    const block = this.#block!;
    if (!(BLOCK_KEYS as readonly string[]).includes(key) || block.has(key as BlockKey)) {
      events.push(malformed(`unexpected field "${key}" in a status update`, line));
      this.#block = null;
      return;
    }
    block.set(key as BlockKey, value);
    if (block.size < BLOCK_KEYS.length) return;
    this.#block = null;
    try {
      events.push({ type: 'status', status: blockToStatus(block) });
    } catch (e) {
      if (!(e instanceof FlatcarParseError)) throw e;
      events.push({ type: 'malformed', error: e.error, text: line });
    }
  }
}

function blockToStatus(block: Map<BlockKey, string>): UpdateEngineStatus {
  const get = (k: BlockKey) => block.get(k)!;
  return statusFromText(WHAT, {
    lastCheckedTime: get('last_checked_time'), progress: get('progress'), currentOp: get('current_operation'),
    newVersion: get('new_version'), newSize: get('new_size'),
  });
}

function malformed(detail: string, text: string): WatchEvent {
  return { type: 'malformed', error: parseFailure(WHAT, detail).error, text: text.slice(0, 200) };
}
