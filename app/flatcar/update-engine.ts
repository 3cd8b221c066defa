import { updateOps } from '../api/update-engine.ts';
import { command, type Command } from './command.ts';
import { flatcarError, FlatcarParseError, parseFailure } from './errors.ts';

/** The UPDATE_STATUS_* names of the API contract, plus what update_engine prints for a value it cannot name. */
export const UPDATE_OPERATIONS = [...updateOps, 'unknown status'] as const;
export type UpdateOperation = (typeof UPDATE_OPERATIONS)[number];

export interface UpdateEngineStatus {
  lastCheckedTime: number; // Unix seconds of the last successful check; 0 = none since update_engine started
  progress: number;        // download fraction 0..1
  currentOp: UpdateOperation; // the CURRENT_OP line
  newVersion: string;      // `0.0.0` when no update is known
  newSize: number;         // bytes
}

// update_engine_client: sudo because only root and `core` may talk to com.coreos.update1.
const client = (flag: string): Command => command(['update_engine_client', flag], true);
export const updateEngineClient = {
  status: () => client('-status'),
  checkForUpdate: () => client('-check_for_update'),
  watchForUpdates: () => client('-watch_for_updates'),
  resetStatus: () => client('-reset_status'),
  update: () => client('-update'),
} as const;

/**
 * flatcar-setgoodroot (flatcar/init): marks the booted USR partition successful and gives it the highest
 * priority, as update_engine does 45 s after it starts. With an update staged, that also means the next boot
 * stays on the booted version: the staged one is discarded.
 */
export const setGoodRoot = (): Command => command(['flatcar-setgoodroot'], true);

export function isUpdateOperation(value: string): value is UpdateOperation {
  return (UPDATE_OPERATIONS as readonly string[]).includes(value);
}

const INTEGER = /^-?\d{1,19}$/;
const FRACTION = /^\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i;

function parseInteger(what: string, raw: string): number {
  if (!INTEGER.test(raw)) throw parseFailure(what, `"${raw.slice(0, 40)}" is not an integer`);
  return Number(raw);
}

function parseProgress(what: string, raw: string): number {
  const n = Number(raw);
  if (!FRACTION.test(raw) || !(n >= 0 && n <= 1)) throw parseFailure(what, `progress "${raw.slice(0, 40)}" is not in 0..1`);
  return n;
}

function parseOperation(what: string, raw: string): UpdateOperation {
  if (!isUpdateOperation(raw)) throw parseFailure(what, `unknown operation "${raw.slice(0, 60)}"`);
  return raw;
}

const STATUS_KEYS = ['LAST_CHECKED_TIME', 'PROGRESS', 'CURRENT_OP', 'NEW_VERSION', 'NEW_SIZE'] as const;
const WHAT = 'update_engine_client -status output';

/**
 * The five `KEY=value` lines of `-status` stdout. When GetStatus itself failed the client still prints the
 * block, with `(null)` strings and exit code 0; that is reported as 'status-unavailable', not as a status.
 */
export function parseUpdateEngineStatus(stdout: string): UpdateEngineStatus {
  const values = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    const key = eq < 0 ? '' : trimmed.slice(0, eq);
    if (!(STATUS_KEYS as readonly string[]).includes(key)) continue;
    if (values.has(key)) throw parseFailure(WHAT, `${key} appears twice`);
    values.set(key, trimmed.slice(eq + 1));
  }
  const missing = STATUS_KEYS.filter((k) => !values.has(k));
  if (missing.length > 0) throw parseFailure(WHAT, `missing ${missing.join(', ')}`);
  const get = (k: (typeof STATUS_KEYS)[number]) => values.get(k)!;
  if (get('CURRENT_OP') === '(null)' || get('NEW_VERSION') === '(null)') {
    throw new FlatcarParseError(
      flatcarError(
        'status-unavailable',
        'update_engine did not report a status (CURRENT_OP=(null)): the D-Bus call was rejected or failed; ' +
          'run the command as root or as the core user',
      ),
    );
  }
  return statusFromText(WHAT, {
    lastCheckedTime: get('LAST_CHECKED_TIME'), progress: get('PROGRESS'), currentOp: get('CURRENT_OP'),
    newVersion: get('NEW_VERSION'), newSize: get('NEW_SIZE'),
  });
}

/** The five values as printed (by `-status` or `-watch_for_updates`), checked and typed. */
export function statusFromText(what: string, raw: Record<keyof UpdateEngineStatus, string>): UpdateEngineStatus {
  return {
    lastCheckedTime: parseInteger(what, raw.lastCheckedTime),
    progress: parseProgress(what, raw.progress),
    currentOp: parseOperation(what, raw.currentOp),
    newVersion: raw.newVersion,
    newSize: parseInteger(what, raw.newSize),
  };
}
