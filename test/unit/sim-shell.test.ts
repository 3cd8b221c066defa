// The simulated node's command interpreter: bash-like word splitting without ever executing anything,
// and the exact stdout/stderr/exit codes of grep, cat, systemctl, sudo and update_engine_client.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { systemClock } from '../../sim/fleet/clock.ts';
import type { FileLookup, ShellHost } from '../../sim/fleet/commands/process.ts';
import { parseClientFlags, RESET_HINT } from '../../sim/fleet/commands/update-engine-client.ts';
import { renderOsRelease } from '../../sim/fleet/os-release.ts';
import { EtcFlatcar } from '../../sim/fleet/etc-flatcar.ts';
import { runCommandLine } from '../../sim/fleet/shell.ts';
import { splitShellWords } from '../../sim/fleet/shell-words.ts';
import { Units } from '../../sim/fleet/units.ts';
import { UpdateEngine } from '../../sim/fleet/update-engine.ts';
import { UsrSlots } from '../../sim/fleet/usr-slots.ts';

const TIME_SCALE = 0.001;

class FakeHost implements ShellHost {
  readonly clock = systemClock;
  readonly timeScale = TIME_SCALE;
  readonly units = new Units({
    'update-engine.service': { masked: true, enabled: false, vendorEnabled: true, active: false },
    'locksmithd.service': { masked: true, enabled: false, vendorEnabled: true, active: false },
  });
  version = '4459.2.1';
  readonly etcFlatcar = new EtcFlatcar('GROUP=stable\n');
  readonly usrSlots = new UsrSlots('4459.2.1', '3510.2.8');
  readonly mounts = new Map<string, 3 | 4>();
  recordBootOrder(): void {}
  serveLocalUpdate(): void {}
  releasePayload(): null {
    return null;
  }
  daemon: UpdateEngine | null = null;
  sudoPassword = false;
  reboots = 0;
  private pid = 100;

  constructor(readonly files: Record<string, string> = { '/etc/os-release': renderOsRelease('4459.2.1') }) {
    this.units.onChange((c) => {
      if (c.unit !== 'update-engine.service' || c.property !== 'active') return;
      this.daemon?.shutdown();
      this.daemon = c.to === 'active' ? this.newDaemon() : null;
    });
  }

  newDaemon(): UpdateEngine {
    return new UpdateEngine({
      clock: systemClock,
      timeScale: TIME_SCALE,
      random: () => 0.5,
      omahaCheck: () => ({ kind: 'update', version: '4757.2.3', size: 458_234_665 }),
      faults: () => ({ failAt: null, downloadStalled: false }),
      bytesPerSecond: 458_234_665 / 60,
      scheduledChecks: false,
    });
  }

  readFile(path: string): FileLookup {
    if (path === '/etc') return { kind: 'directory' };
    const content = this.files[path] ?? this.etcFlatcar.read(path) ?? undefined;
    return content === undefined ? null : { kind: 'file', content };
  }

  updateEngine(): UpdateEngine | null {
    return this.daemon;
  }

  bootedVersion(): string {
    return this.version;
  }

  sudoRequiresPassword(): boolean {
    return this.sudoPassword;
  }

  requestReboot(): void {
    this.reboots++;
  }

  goodRootSet = 0;
  setGoodRoot(): void {
    this.goodRootSet++;
  }

  nextPid(): number {
    return ++this.pid;
  }
}

async function run(host: ShellHost, line: string, signal = new AbortController().signal, input = '') {
  let stdout = '';
  let stderr = '';
  const code = await runCommandLine(line, host, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), stdin: () => Promise.resolve(input), signal });
  return { stdout, stderr, code };
}

async function hostWithUpdateEngineRunning(): Promise<FakeHost> {
  const host = new FakeHost();
  await run(host, 'sudo systemctl unmask update-engine.service');
  await run(host, 'sudo systemctl start update-engine.service');
  return host;
}

// glog's prefix: the thread id right-aligned in 5 columns after one space (setw(5)).
const GLOG = /^[IWEF]\d{8} \d\d:\d\d:\d\d\.\d{6} (?: {4}\d| {3}\d\d| {2}\d{3}| \d{4}|\d{5,}) update_engine_client\.cc:\d+\] /;

describe('shell word splitting', () => {
  it('handles quotes and backslashes like a POSIX shell', () => {
    assert.deepEqual(splitShellWords(`grep 'VERSION_ID' "/etc/os-release"`), { ok: true, words: ['grep', 'VERSION_ID', '/etc/os-release'] });
    assert.deepEqual(splitShellWords(`a\\ b 'c d' "e\\"f" 'g'"h" '' x\\'y`), { ok: true, words: ['a b', 'c d', 'e"f', 'gh', '', "x'y"] });
    assert.deepEqual(splitShellWords(`"a\\b" 'a\\b' "\\$x"`), { ok: true, words: ['a\\b', 'a\\b', '$x'] });
    assert.deepEqual(splitShellWords(`echo 'unterminated`), { ok: false, unterminated: "'" });
  });

  it('round-trips any words quoted the POSIX way', () => {
    const quote = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 6 }), (words) => {
        assert.deepEqual(splitShellWords(words.map(quote).join(' ')), { ok: true, words });
      }),
    );
  });
});

describe('command interpreter', () => {
  it('answers grep VERSION_ID /etc/os-release with the unquoted old format', async () => {
    assert.deepEqual(await run(new FakeHost(), 'grep VERSION_ID /etc/os-release'), { stdout: 'VERSION_ID=4459.2.1\n', stderr: '', code: 0 });
  });

  it('reads standard input in cat and grep when no file (or -) is named', async () => {
    const input = 'NAME="Flatcar"\nVERSION_ID=1.2.3\n';
    assert.deepEqual(await run(new FakeHost(), 'cat', undefined, input), { stdout: input, stderr: '', code: 0 });
    assert.deepEqual(await run(new FakeHost(), 'cat -', undefined, input), { stdout: input, stderr: '', code: 0 });
    assert.deepEqual(await run(new FakeHost(), 'grep VERSION_ID', undefined, input), { stdout: 'VERSION_ID=1.2.3\n', stderr: '', code: 0 });
    assert.deepEqual(await run(new FakeHost(), 'grep VERSION_ID'), { stdout: '', stderr: '', code: 1 });
  });

  it('accepts POSIX-quoted words as flatdeck sends them', async () => {
    const r = await run(new FakeHost(), `'sudo' 'systemctl' 'is-enabled' 'update-engine.service'`);
    assert.deepEqual(r, { stdout: 'masked\n', stderr: '', code: 1 });
  });

  it('answers unknown programs with bash "command not found" and 127', async () => {
    assert.deepEqual(await run(new FakeHost(), 'ls -la /'), { stdout: '', stderr: 'bash: line 1: ls: command not found\n', code: 127 });
    assert.deepEqual(await run(new FakeHost(), '/usr/local/bin/evil'), { stdout: '', stderr: 'bash: line 1: /usr/local/bin/evil: No such file or directory\n', code: 127 });
    assert.deepEqual(await run(new FakeHost(), 'sudo dd if=/dev/zero of=/dev/sda'), { stdout: '', stderr: 'sudo: dd: command not found\n', code: 1 });
  });

  it('never interprets shell operators: injection attempts are literal words that do nothing', async () => {
    const host = new FakeHost();
    const attempts = [
      'grep VERSION_ID /etc/os-release; sudo systemctl reboot',
      'grep VERSION_ID /etc/os-release && sudo systemctl unmask update-engine.service',
      'true | sudo systemctl reboot',
      'cat $(sudo systemctl reboot)',
      'cat `sudo systemctl start update-engine.service`',
      'true;sudo systemctl unmask update-engine.service',
    ];
    for (const line of attempts) await run(host, line);
    assert.equal(host.reboots, 0);
    assert.equal(host.units.fileState('update-engine.service'), 'masked');
    assert.deepEqual(await run(host, 'grep VERSION_ID /etc/os-release; reboot'), {
      stdout: '',
      stderr: 'grep: /etc/os-release;: No such file or directory\ngrep: reboot: No such file or directory\n',
      code: 2,
    });
  });

  it('fuzz: no command line ever reboots, unmasks or starts anything unless it is exactly that command', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('sudo', 'systemctl', 'reboot', 'unmask', 'start', ';', '&&', '|', '$(', ')', '`', "'", '"', '\\', ' ', 'update-engine.service', 'x'), { maxLength: 12 }), async (parts) => {
        const line = parts.join(' ');
        const host = new FakeHost();
        await run(host, line);
        const split = splitShellWords(line);
        const words = split.ok ? split.words : [];
        const isReboot = words.join(' ') === 'sudo systemctl reboot';
        const isUnitChange = words[0] === 'sudo' && words[1] === 'systemctl' && ['unmask', 'start'].includes(words[2] ?? '');
        if (!isReboot) assert.equal(host.reboots, 0, line);
        if (!isUnitChange) assert.equal(host.units.fileState('update-engine.service'), 'masked', line);
      }),
      { numRuns: 400 },
    );
  });

  it('runs an operator health check given as sh -c SCRIPT through the same interpreter', async () => {
    const host = new FakeHost();
    assert.deepEqual(await run(host, `sh -c 'grep VERSION_ID /etc/os-release'`), { stdout: 'VERSION_ID=4459.2.1\n', stderr: '', code: 0 });
    assert.deepEqual(await run(host, `'sh' '-c' 'curl -fsS localhost:10248/healthz'`), { stdout: '', stderr: 'sh: line 1: curl: command not found\n', code: 127 });
    assert.deepEqual(await run(host, `sh -c 'true; sudo systemctl reboot'`), { stdout: '', stderr: 'sh: line 1: true;: command not found\n', code: 127 });
    assert.equal(host.reboots, 0);
    assert.deepEqual(await run(host, 'sh script.sh'), { stdout: '', stderr: 'sh: script.sh: No such file or directory\n', code: 127 });
  });

  it('reports bash syntax errors for unterminated quotes', async () => {
    assert.deepEqual(await run(new FakeHost(), `grep 'VERSION_ID /etc/os-release`), {
      stdout: '',
      stderr: "bash: -c: line 1: unexpected EOF while looking for matching `''\n",
      code: 2,
    });
  });

  it('cat and grep give GNU messages for missing files', async () => {
    assert.deepEqual(await run(new FakeHost(), 'cat /etc/flatcar/nope.conf'), { stdout: '', stderr: 'cat: /etc/flatcar/nope.conf: No such file or directory\n', code: 1 });
    assert.deepEqual(await run(new FakeHost(), 'cat /etc'), { stdout: '', stderr: 'cat: /etc: Is a directory\n', code: 1 });
    assert.deepEqual(await run(new FakeHost(), 'grep VERSION_ID /nope'), { stdout: '', stderr: 'grep: /nope: No such file or directory\n', code: 2 });
    assert.deepEqual(await run(new FakeHost(), 'grep NOPE_NOT_THERE /etc/os-release'), { stdout: '', stderr: '', code: 1 });
  });

  it('sudo asks for a password when the fault says so', async () => {
    const host = new FakeHost();
    host.sudoPassword = true;
    assert.deepEqual(await run(host, 'sudo -n true'), { stdout: '', stderr: 'sudo: a password is required\n', code: 1 });
    const r = await run(host, 'sudo systemctl reboot');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^sudo: a terminal is required to read the password; .*\nsudo: a password is required\n$/);
    assert.equal(host.reboots, 0);
    host.sudoPassword = false;
    assert.deepEqual(await run(host, 'sudo -n true'), { stdout: '', stderr: '', code: 0 });
  });
});

describe('systemctl', () => {
  it('unmask, start, is-active, mask with systemd messages on stderr', async () => {
    const host = new FakeHost();
    assert.deepEqual(await run(host, 'sudo systemctl start update-engine.service'), {
      stdout: '',
      stderr: 'Failed to start update-engine.service: Unit update-engine.service is masked.\n',
      code: 1,
    });
    assert.deepEqual(await run(host, 'sudo systemctl unmask update-engine.service'), { stdout: '', stderr: 'Removed "/etc/systemd/system/update-engine.service".\n', code: 0 });
    assert.deepEqual(await run(host, 'sudo systemctl unmask update-engine.service'), { stdout: '', stderr: '', code: 0 }, 'unmask is idempotent and silent');
    assert.deepEqual(await run(host, 'systemctl is-enabled update-engine.service'), { stdout: 'disabled\n', stderr: '', code: 1 }, 'only the vendor link under /usr is left');
    assert.deepEqual(await run(host, 'systemctl is-active update-engine.service'), { stdout: 'inactive\n', stderr: '', code: 3 });
    assert.deepEqual(await run(host, 'sudo systemctl start update-engine'), { stdout: '', stderr: '', code: 0 });
    assert.deepEqual(await run(host, 'systemctl is-active update-engine.service'), { stdout: 'active\n', stderr: '', code: 0 });
    assert.ok(host.daemon, 'starting the unit starts the daemon');
    assert.deepEqual(await run(host, 'sudo systemctl mask --now update-engine.service'), {
      stdout: '',
      stderr: 'Created symlink /etc/systemd/system/update-engine.service → /dev/null.\n',
      code: 0,
    });
    assert.equal(host.daemon, null);
    assert.deepEqual(await run(host, 'systemctl is-enabled update-engine.service'), { stdout: 'masked\n', stderr: '', code: 1 });
  });

  it('refuses unit changes and reboot without sudo (polkit, no tty)', async () => {
    const host = new FakeHost();
    const r = await run(host, 'systemctl unmask update-engine.service');
    assert.deepEqual(r, { stdout: '', stderr: 'Failed to unmask unit: Interactive authentication required.\n', code: 1 });
    assert.equal((await run(host, 'systemctl reboot')).code, 1);
    assert.equal(host.reboots, 0);
    assert.deepEqual(await run(host, 'sudo systemctl reboot'), { stdout: '', stderr: '', code: 0 });
    assert.equal(host.reboots, 1);
  });

  it('flatcar-setgoodroot rewrites the partition table only as root', async () => {
    const host = new FakeHost();
    assert.deepEqual(await run(host, 'flatcar-setgoodroot'), { stdout: '', stderr: 'ERROR: Permission denied\n', code: 1 });
    assert.equal(host.goodRootSet, 0);
    assert.deepEqual(await run(host, 'sudo flatcar-setgoodroot'), { stdout: '', stderr: '', code: 0 });
    assert.equal(host.goodRootSet, 1);
  });

  it('reports unknown units and verbs', async () => {
    const host = new FakeHost();
    assert.deepEqual(await run(host, 'systemctl is-enabled nope.service'), { stdout: '', stderr: 'Failed to get unit file state for nope.service: No such file or directory\n', code: 1 });
    assert.deepEqual(await run(host, 'sudo systemctl start nope.service'), { stdout: '', stderr: 'Failed to start nope.service: Unit nope.service not found.\n', code: 5 });
    assert.deepEqual(await run(host, 'sudo systemctl frobnicate x'), { stdout: '', stderr: "Unknown command verb 'frobnicate'.\n", code: 1 });
  });
});

describe('update_engine_client', () => {
  it('parses gflags in both -flag and --flag forms and rejects unknown flags', () => {
    assert.deepEqual(parseClientFlags(['-status']), { ok: true, flags: new Set(['status']) });
    assert.deepEqual(parseClientFlags(['--check_for_update', '--status=false']), { ok: true, flags: new Set(['check_for_update']) });
    assert.deepEqual(parseClientFlags(['-check-for-update']), { ok: false, unknown: 'check-for-update' });
    assert.deepEqual(parseClientFlags(['--bogus']), { ok: false, unknown: 'bogus' });
  });

  it('with update-engine masked, -status retries the D-Bus proxy 4 times then exits 1', async () => {
    const started = Date.now();
    const r = await run(new FakeHost(), 'sudo update_engine_client -status');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    for (const line of lines) assert.match(line, GLOG);
    const messages = lines.map((l) => l.replace(GLOG, ''));
    const noOwner = "Error getting dbus proxy for com.coreos.update1: GError(3): Could not get owner of name 'com.coreos.update1': no such name";
    assert.deepEqual(messages, [
      'Querying Update Engine status...',
      noOwner,
      'Retrying to get dbus proxy. Try 2/4',
      noOwner,
      'Retrying to get dbus proxy. Try 3/4',
      noOwner,
      'Retrying to get dbus proxy. Try 4/4',
      noOwner,
      'Giving up -- unable to get dbus proxy for com.coreos.update1',
    ]);
    assert.deepEqual(lines.map((l) => l[0]), ['I', 'W', 'I', 'W', 'I', 'W', 'I', 'W', 'E']);
    assert.ok(Date.now() - started >= 30_000 * TIME_SCALE, 'the three 10 s waits are scaled, not skipped');
  });

  it('prints the idle status block on stdout and the query log line on stderr', async () => {
    const host = await hostWithUpdateEngineRunning();
    const r = await run(host, 'update_engine_client --status');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'LAST_CHECKED_TIME=0\nPROGRESS=0.000000\nCURRENT_OP=UPDATE_STATUS_IDLE\nNEW_VERSION=0.0.0\nNEW_SIZE=0\n');
    assert.match(r.stderr, /^I\d{8} [\d:.]+ {3}\d{3} update_engine_client\.cc:241\] Querying Update Engine status\.\.\.\n$/);
  });

  it('-check_for_update returns at once; -update waits, polls and reports success', async () => {
    const host = await hostWithUpdateEngineRunning();
    const check = await run(host, 'sudo update_engine_client -check_for_update');
    assert.equal(check.code, 0);
    assert.equal(check.stdout, '');
    assert.match(check.stderr, /update_engine_client\.cc:251\] Initiating update check and install\.\n$/);
    assert.equal(host.daemon?.status().currentOperation, 'UPDATE_STATUS_CHECKING_FOR_UPDATE');

    const update = await run(host, 'sudo update_engine_client -update');
    assert.equal(update.code, 0);
    assert.match(update.stderr, /Waiting for update to complete\.\n/);
    assert.match(update.stderr, /update_engine_client\.cc:198\] Update succeeded -- reboot needed\.\n$/);
    assert.match(update.stdout, /CURRENT_OP=UPDATE_STATUS_UPDATED_NEED_REBOOT\nNEW_VERSION=4757\.2\.3\nNEW_SIZE=458234665\n$/);

    const reset = await run(host, 'sudo update_engine_client -reset_status');
    assert.equal(reset.code, 0);
    assert.ok(reset.stderr.endsWith(`${RESET_HINT}\n`));
    assert.equal(host.daemon?.status().currentOperation, 'UPDATE_STATUS_IDLE');
  });

  it('-watch_for_updates streams status blocks on stderr until the channel closes', async () => {
    const host = await hostWithUpdateEngineRunning();
    await new Promise((r) => setTimeout(r, 5)); // the daemon's start-up broadcast goes out before the watch begins
    const channel = new AbortController();
    const watching = run(host, 'update_engine_client -watch_for_updates', channel.signal);
    await new Promise((r) => setTimeout(r, 5));
    host.daemon?.attemptUpdate();
    // Event-driven rather than a fixed sleep: close the channel once the download has made progress.
    const downloading = () => host.daemon?.status().currentOperation === 'UPDATE_STATUS_DOWNLOADING' && host.daemon.status().progress > 0;
    for (const deadline = Date.now() + 30_000; !downloading(); await new Promise((r) => setTimeout(r, 5))) {
      assert.ok(Date.now() < deadline, 'the download made progress within 30 s');
    }
    channel.abort();
    const r = await watching;
    assert.equal(r.stdout, '');
    const messages = r.stderr.trimEnd().split('\n').map((l) => l.replace(GLOG, ''));
    assert.equal(messages[0], 'Watching for status updates.');
    assert.deepEqual(messages.slice(1, 7), [
      'Got status update:',
      `  last_checked_time: 0`,
      '  progress: 0',
      '  current_operation: UPDATE_STATUS_CHECKING_FOR_UPDATE',
      '  new_version: 0.0.0',
      '  new_size: 0',
    ]);
    assert.ok(messages.includes('  current_operation: UPDATE_STATUS_DOWNLOADING'));
    assert.ok(messages.some((m) => /^ {2}progress: 0\.\d{1,6}$/.test(m)), 'progress printed by the C++ stream');
  });
});

describe('systemd unit enablement on a stock node (vendor links under /usr)', () => {
  function stockHost(): FakeHost {
    const host = new FakeHost();
    for (const unit of ['update-engine.service', 'locksmithd.service']) host.units.setMasked(unit, false);
    return host;
  }

  it('is-enabled says disabled (exit 1) for a unit wanted only by a vendor link, and it still starts at boot', async () => {
    const host = stockHost();
    assert.deepEqual(await run(host, 'systemctl is-enabled update-engine.service locksmithd.service'), { stdout: 'disabled\ndisabled\n', stderr: '', code: 1 });
    assert.equal(host.units.bootActive('locksmithd.service'), true);
  });

  it('disable changes nothing and prints nothing: the /usr link cannot be removed', async () => {
    const host = stockHost();
    assert.deepEqual(await run(host, 'sudo systemctl disable locksmithd.service'), { stdout: '', stderr: '', code: 0 });
    assert.equal(host.units.bootActive('locksmithd.service'), true);
  });

  it('enable adds the /etc link (then is-enabled says enabled), disable removes it with the quoted path', async () => {
    const host = stockHost();
    assert.deepEqual(await run(host, 'sudo systemctl enable update-engine.service'), {
      stdout: '',
      stderr: 'Created symlink /etc/systemd/system/multi-user.target.wants/update-engine.service → /usr/lib/systemd/system/update-engine.service.\n',
      code: 0,
    });
    assert.deepEqual(await run(host, 'systemctl is-enabled update-engine.service'), { stdout: 'enabled\n', stderr: '', code: 0 });
    assert.deepEqual(await run(host, 'sudo systemctl disable update-engine.service'), {
      stdout: '',
      stderr: 'Removed "/etc/systemd/system/multi-user.target.wants/update-engine.service".\n',
      code: 0,
    });
    assert.deepEqual(await run(host, 'systemctl is-enabled update-engine.service'), { stdout: 'disabled\n', stderr: '', code: 1 });
  });

  it('mask --runtime links the unit to /dev/null under /run until the next boot: is-enabled says masked-runtime, nothing starts it, unmask --runtime lifts it', async () => {
    const host = stockHost();
    host.units.setActive('locksmithd.service', true);
    assert.deepEqual(await run(host, 'sudo systemctl mask --runtime locksmithd.service'), { stdout: '', stderr: 'Created symlink /run/systemd/system/locksmithd.service → /dev/null.\n', code: 0 });
    assert.deepEqual(await run(host, 'sudo systemctl stop locksmithd.service'), { stdout: '', stderr: '', code: 0 });
    assert.deepEqual(await run(host, 'systemctl is-enabled locksmithd.service'), { stdout: 'masked-runtime\n', stderr: '', code: 1 });
    assert.deepEqual(await run(host, 'sudo systemctl restart locksmithd.service'), { stdout: '', stderr: 'Failed to start locksmithd.service: Unit locksmithd.service is masked.\n', code: 1 });
    assert.deepEqual(await run(host, 'sudo systemctl unmask locksmithd.service'), { stdout: '', stderr: '', code: 0 }, 'a plain unmask leaves the /run link');
    host.units.clearRuntimeMasks();
    assert.deepEqual(await run(host, 'systemctl is-enabled locksmithd.service'), { stdout: 'disabled\n', stderr: '', code: 1 }, 'gone at the next boot');
    assert.equal(host.units.bootActive('locksmithd.service'), true);
    await run(host, 'sudo systemctl mask --runtime locksmithd.service');
    assert.deepEqual(await run(host, 'sudo systemctl unmask --runtime locksmithd.service'), { stdout: '', stderr: 'Removed "/run/systemd/system/locksmithd.service".\n', code: 0 });
    assert.deepEqual(await run(host, 'sudo systemctl start locksmithd.service'), { stdout: '', stderr: '', code: 0 });
  });

  it('is-active reports a unit waiting for its automatic restart as activating (exit 3)', async () => {
    const host = stockHost();
    host.units.setActive('locksmithd.service', 'activating');
    assert.deepEqual(await run(host, 'systemctl is-active locksmithd.service'), { stdout: 'activating\n', stderr: '', code: 3 });
  });
});

describe('atomic rewrite of /etc/flatcar/update.conf', () => {
  it('writes a temporary file next to it and renames it over, as root', async () => {
    const host = new FakeHost();
    const made = await run(host, 'sudo mktemp /etc/flatcar/update.conf.XXXXXX');
    assert.equal(made.code, 0, made.stderr);
    const temp = made.stdout.trim();
    assert.match(temp, /^\/etc\/flatcar\/update\.conf\.[A-Za-z0-9]{6}$/);
    assert.deepEqual(await run(host, `sudo tee ${temp}`, undefined, 'GROUP=stable\nSERVER=disabled\n'), { stdout: 'GROUP=stable\nSERVER=disabled\n', stderr: '', code: 0 });
    assert.deepEqual(await run(host, 'cat /etc/flatcar/update.conf'), { stdout: 'GROUP=stable\n', stderr: '', code: 0 }, 'untouched until the rename');
    assert.deepEqual(await run(host, `sudo mv -f ${temp} /etc/flatcar/update.conf`), { stdout: '', stderr: '', code: 0 });
    assert.deepEqual(await run(host, 'cat /etc/flatcar/update.conf'), { stdout: 'GROUP=stable\nSERVER=disabled\n', stderr: '', code: 0 });
    assert.deepEqual(await run(host, `cat ${temp}`), { stdout: '', stderr: `cat: ${temp}: No such file or directory\n`, code: 1 });
  });

  it('answers like coreutils without root, for missing files and outside /etc/flatcar', async () => {
    const host = new FakeHost();
    assert.deepEqual(await run(host, 'mv /etc/flatcar/a /etc/flatcar/update.conf'), { stdout: '', stderr: "mv: cannot move '/etc/flatcar/a' to '/etc/flatcar/update.conf': Permission denied\n", code: 1 });
    assert.deepEqual(await run(host, 'sudo mv /etc/flatcar/a /etc/flatcar/update.conf'), { stdout: '', stderr: "mv: cannot stat '/etc/flatcar/a': No such file or directory\n", code: 1 });
    assert.deepEqual(await run(host, 'sudo mv /etc/flatcar/update.conf /usr/share/flatcar/update.conf'), {
      stdout: '',
      stderr: "mv: cannot move '/etc/flatcar/update.conf' to '/usr/share/flatcar/update.conf': Read-only file system\n",
      code: 1,
    });
    assert.deepEqual(await run(host, 'sudo rm -f /etc/flatcar/nothing'), { stdout: '', stderr: '', code: 0 });
    assert.deepEqual(await run(host, 'sudo rm /etc/flatcar/nothing'), { stdout: '', stderr: "rm: cannot remove '/etc/flatcar/nothing': No such file or directory\n", code: 1 });
    assert.deepEqual(await run(host, 'sudo mktemp /etc/flatcar/update.conf.XX'), { stdout: '', stderr: "mktemp: too few X's in template '/etc/flatcar/update.conf.XX'\n", code: 1 });
    assert.deepEqual(await run(host, 'tee /etc/flatcar/update.conf', undefined, 'x\n'), { stdout: 'x\n', stderr: 'tee: /etc/flatcar/update.conf: Permission denied\n', code: 1 });
  });
});

describe('update_engine_client log prefix per release', () => {
  it('has no year on 3510-era releases and the year on current ones, the thread id in 5 columns', async () => {
    const host = await hostWithUpdateEngineRunning();
    host.version = '3510.2.8';
    const old = await run(host, 'update_engine_client -status');
    assert.match(old.stderr, /^I\d{4} \d\d:\d\d:\d\d\.\d{6} {3}\d{3} update_engine_client\.cc:241\] /);
    host.version = '4459.2.1';
    const current = await run(host, 'update_engine_client -status');
    assert.match(current.stderr, /^I20\d{6} \d\d:\d\d:\d\d\.\d{6} {3}\d{3} update_engine_client\.cc:241\] /);
  });
});
