// update_engine_client as flatcar/update_engine builds it: gflags parsing, the main() branch order
// (reset_status → status → check_for_update/update → watch_for_updates → "Done."), the D-Bus proxy
// retries when the daemon is not running, the -status block on stdout and glog lines on stderr.
import { cppStreamDouble, glogLine, glogWritesYear, type GlogSeverity } from '../glog.ts';
import type { UpdateEngine, UpdateEngineStatus } from '../update-engine.ts';
import { sleep, untilAborted, type Invocation } from './process.ts';

const PROGRAM_FLAGS = ['check_for_update', 'status', 'reset_status', 'update', 'watch_for_updates'] as const;
type ProgramFlag = (typeof PROGRAM_FLAGS)[number];
// glog/gflags flags the binary also accepts; they do not change what the simulation prints.
const ACCEPTED_LIBRARY_FLAGS = new Set(['logtostderr', 'alsologtostderr', 'v', 'minloglevel', 'stderrthreshold']);

const PROXY_TRIES = 4;
const PROXY_RETRY_MS = 10_000;
const UPDATE_POLL_MS = 5_000;
const SERVICE = 'com.coreos.update1';

export const RESET_HINT =
  'ResetStatus succeeded; to undo partition table changes run:\n' +
  "(D=$(rootdev -d) P=$(rootdev -s); cgpt p -i$(($(echo ${P#$D} | sed 's/^[^0-9]*//')-1)) $D;)";

type ParsedFlags = { ok: true; flags: Set<ProgramFlag> } | { ok: false; unknown: string };

export function parseClientFlags(args: readonly string[]): ParsedFlags {
  const flags = new Set<ProgramFlag>();
  for (const arg of args) {
    const m = /^--?([A-Za-z_][\w-]*)(?:=(.*))?$/.exec(arg);
    if (!m) continue;
    const name = m[1] as string;
    const value = m[2];
    if ((PROGRAM_FLAGS as readonly string[]).includes(name)) {
      const off = value !== undefined && /^(false|f|0|no|n)$/i.test(value);
      if (off) flags.delete(name as ProgramFlag);
      else flags.add(name as ProgramFlag);
    } else if (!ACCEPTED_LIBRARY_FLAGS.has(name)) {
      return { ok: false, unknown: name };
    }
  }
  return { ok: true, flags };
}

export function renderStatusBlock(s: UpdateEngineStatus): string {
  return (
    `LAST_CHECKED_TIME=${s.lastCheckedTime}\nPROGRESS=${s.progress.toFixed(6)}\nCURRENT_OP=${s.currentOperation}\n` +
    `NEW_VERSION=${s.newVersion}\nNEW_SIZE=${s.newSize}\n`
  );
}

export async function updateEngineClient(inv: Invocation): Promise<number> {
  const { host, io } = inv;
  const parsed = parseClientFlags(inv.argv.slice(1));
  if (!parsed.ok) {
    io.stderr(`ERROR: unknown command line flag '${parsed.unknown}'\n`);
    return 1;
  }
  const flags = parsed.flags;
  const threadId = host.nextPid();
  const withYear = glogWritesYear(host.bootedVersion());
  const log = (severity: GlogSeverity, line: number, message: string) =>
    io.stderr(glogLine(severity, host.clock.now(), threadId, 'update_engine_client.cc', line, message, withYear));

  const getProxy = async (): Promise<UpdateEngine | null> => {
    for (let attempt = 0; attempt < PROXY_TRIES; attempt++) {
      if (attempt > 0) {
        log('I', 51, `Retrying to get dbus proxy. Try ${attempt + 1}/${PROXY_TRIES}`);
        if (!(await sleep(host, io, PROXY_RETRY_MS))) return null;
      }
      const daemon = host.updateEngine();
      if (daemon) return daemon;
      log('W', 60, `Error getting dbus proxy for ${SERVICE}: GError(3): Could not get owner of name '${SERVICE}': no such name`);
    }
    log('E', 65, `Giving up -- unable to get dbus proxy for ${SERVICE}`);
    return null;
  };

  if (flags.has('reset_status')) {
    log('I', 227, 'Setting Update Engine status to idle ...');
    const daemon = await getProxy();
    if (!daemon) return 1;
    if (!daemon.resetStatus()) {
      log('E', 229, 'ResetStatus failed.');
      return 1;
    }
    log('I', 233, RESET_HINT);
    return 0;
  }

  if (flags.has('status')) {
    log('I', 241, 'Querying Update Engine status...');
    const daemon = await getProxy();
    if (!daemon) return 1;
    io.stdout(renderStatusBlock(daemon.status()));
    return 0;
  }

  if (flags.has('check_for_update') || flags.has('update')) {
    log('I', 251, 'Initiating update check and install.');
    const daemon = await getProxy();
    if (!daemon) return 1;
    daemon.attemptUpdate();
    if (!flags.has('update')) return 0;
    log('I', 256, 'Waiting for update to complete.');
    for (;;) {
      if (!(await sleep(host, io, UPDATE_POLL_MS))) return 1;
      const polled = await getProxy();
      if (!polled) return 1;
      const status = polled.status();
      io.stdout(renderStatusBlock(status));
      if (status.currentOperation === 'UPDATE_STATUS_IDLE') {
        log('I', 194, 'No update available');
        return 0;
      }
      if (status.currentOperation === 'UPDATE_STATUS_UPDATED_NEED_REBOOT') {
        log('I', 198, 'Update succeeded -- reboot needed.');
        return 0;
      }
    }
  }

  if (flags.has('watch_for_updates')) {
    log('I', 265, 'Watching for status updates.');
    const daemon = await getProxy();
    if (!daemon) return 1;
    const unsubscribe = daemon.subscribe((s) => {
      log('I', 80, 'Got status update:');
      log('I', 81, `  last_checked_time: ${s.lastCheckedTime}`);
      log('I', 82, `  progress: ${cppStreamDouble(s.progress)}`);
      log('I', 83, `  current_operation: ${s.currentOperation}`);
      log('I', 84, `  new_version: ${s.newVersion}`);
      log('I', 85, `  new_size: ${s.newSize}`);
    });
    await untilAborted(io);
    unsubscribe();
    return 1;
  }

  log('I', 270, 'Done.');
  return 0;
}
