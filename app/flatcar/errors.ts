export type FlatcarErrorKind =
  | 'unparseable-output'      // output did not have the documented shape
  | 'status-unavailable'      // update_engine_client printed the `(null)` block: GetStatus failed
  | 'service-masked'          // systemctl refused: the unit is masked
  | 'dbus-unavailable'        // update_engine_client gave up getting the D-Bus proxy (update-engine not running)
  | 'dbus-rejected'           // the D-Bus policy rejected the call (wrong user)
  | 'update-engine-aborted'   // update_engine_client hit `Check failed` and aborted (exit 134)
  | 'sudo-password-required'  // `sudo -n` needs a password the app will not type
  | 'command-not-found'       // exit 127
  | 'file-not-found'          // cat/grep on a missing file
  | 'timeout'                 // no answer within the time limit
  | 'command-failed';         // any other non-zero exit or signal

export interface FlatcarErrorFacts {
  node?: string;
  command?: string;          // the shell line that ran
  exitCode?: number | null;
  signal?: string | null;
  stderrTail?: string;
  unit?: string;
  line?: number;             // for parse errors: 1-based line of the offending input
}

export interface FlatcarError {
  readonly kind: FlatcarErrorKind;
  readonly message: string;  // for the operator
  readonly facts: FlatcarErrorFacts;
}

export function flatcarError(kind: FlatcarErrorKind, message: string, facts: FlatcarErrorFacts = {}): FlatcarError {
  return { kind, message, facts };
}

/** The only exception a parser throws. It carries the error value so callers can pass it on as data. */
export class FlatcarParseError extends Error {
  readonly error: FlatcarError;
  constructor(error: FlatcarError) {
    super(error.message);
    this.name = 'FlatcarParseError';
    this.error = error;
  }
  get kind(): FlatcarErrorKind {
    return this.error.kind;
  }
}

export function parseFailure(what: string, detail: string, line?: number): FlatcarParseError {
  const where = line === undefined ? '' : ` (line ${line})`;
  return new FlatcarParseError(
    flatcarError('unparseable-output', `Could not read ${what}${where}: ${detail}`, line === undefined ? {} : { line }),
  );
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: FlatcarError };

/** Runs a parser and turns its typed failure into a value; anything else is a bug and propagates. */
export function tryParse<T>(parse: () => T): ParseResult<T> {
  try {
    return { ok: true, value: parse() };
  } catch (e) {
    if (e instanceof FlatcarParseError) return { ok: false, error: e.error };
    throw e;
  }
}

const TAIL_CHARS = 800;
export function tail(text: string, max = TAIL_CHARS): string {
  const trimmed = text.trimEnd();
  return trimmed.length <= max ? trimmed : `…${trimmed.slice(trimmed.length - max)}`;
}
