import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FlatcarParseError, tryParse } from '../../app/flatcar/errors.ts';
import { parseOsRelease } from '../../app/flatcar/os-release.ts';
import { parseUpdateEngineStatus } from '../../app/flatcar/update-engine.ts';
import { parseIsActive, parseIsEnabled } from '../../app/flatcar/systemctl.ts';
import { effectiveUpdateConf, liftServerDisabled, parseUpdateConf, restoreLiftedServer, serverSendsRequests, updateEngineStripsQuotes } from '../../app/flatcar/update-conf.ts';
import { parseFlatcarVersion } from '../../app/flatcar/version.ts';
import { compareVersions } from '../../app/api/versions.ts';
import { parseBootId } from '../../app/flatcar/boot-id.ts';
import { parseGlogLine } from '../../app/flatcar/glog.ts';

// Real outputs quoted in the Flatcar reference (flatcar-website PR #198, Flatcar#758, #1424, #1923, flatcar-docs#25).
const OS_RELEASE_3033 = `NAME="Flatcar Container Linux by Kinvolk"
ID=flatcar
ID_LIKE=coreos
VERSION=3033.2.0
VERSION_ID=3033.2.0
BUILD_ID=2021-12-10-1820
PRETTY_NAME="Flatcar Container Linux by Kinvolk 3033.2.0 (Oklo)"
ANSI_COLOR="38;5;75"
HOME_URL="https://flatcar-linux.org/"
BUG_REPORT_URL="https://issues.flatcar-linux.org"
FLATCAR_BOARD="amd64-usr"
`;
const OS_RELEASE_4757 = `NAME="Flatcar Container Linux by Kinvolk"
ID="flatcar"
ID_LIKE="coreos"
VERSION="4757.2.0"
VERSION_ID="4757.2.0"
BUILD_ID="2026-08-20-2300"
SYSEXT_LEVEL="1.0"
PRETTY_NAME="Flatcar Container Linux by Kinvolk 4757.2.0"
ANSI_COLOR="38;5;75"
HOME_URL="https://flatcar.org"
BUG_REPORT_URL="https://issues.flatcar.org"
FLATCAR_BOARD="amd64-usr"
CPE_NAME="cpe:2.3:o:flatcar-linux:flatcar_linux:4757.2.0:*:*:*:*:*:*:*"
`;
const STATUS_IDLE = `LAST_CHECKED_TIME=1653924489
PROGRESS=0.000000
CURRENT_OP=UPDATE_STATUS_IDLE
NEW_VERSION=0.0.0
NEW_SIZE=0
`;
const STATUS_DOWNLOADING = `LAST_CHECKED_TIME=1700000000
PROGRESS=0.160216
CURRENT_OP=UPDATE_STATUS_DOWNLOADING
NEW_VERSION=3815.2.1
NEW_SIZE=458234665
`;
const STATUS_NEED_REBOOT = `LAST_CHECKED_TIME=1560000000
PROGRESS=0.000000
CURRENT_OP=UPDATE_STATUS_UPDATED_NEED_REBOOT
NEW_VERSION=2079.3.2
NEW_SIZE=399568805
`;
const STATUS_NULL = `LAST_CHECKED_TIME=0
PROGRESS=0.000000
CURRENT_OP=(null)
NEW_VERSION=(null)
NEW_SIZE=0
`;

/** Every parser: for any input it returns or throws FlatcarParseError, nothing else. */
const PARSERS: Record<string, (s: string) => unknown> = {
  parseOsRelease,
  parseUpdateEngineStatus,
  parseIsEnabled: (s) => parseIsEnabled({ stdout: s, stderr: s, exitCode: s.length % 5 }),
  parseIsActive: (s) => parseIsActive({ stdout: s, stderr: '', exitCode: s.length % 4 }),
  parseUpdateConf,
  parseFlatcarVersion,
  parseBootId,
  parseGlogLine,
};

describe('os-release', () => {
  it('reads the old unquoted format with codename', () => {
    const r = parseOsRelease(OS_RELEASE_3033);
    assert.equal(r.id, 'flatcar');
    assert.equal(r.versionId, '3033.2.0');
    assert.equal(r.prettyName, 'Flatcar Container Linux by Kinvolk 3033.2.0 (Oklo)');
    assert.equal(r.board, 'amd64-usr');
    assert.equal(r.fields.ANSI_COLOR, '38;5;75');
  });

  it('reads the current format where every value is double-quoted', () => {
    const r = parseOsRelease(OS_RELEASE_4757);
    assert.equal(r.id, 'flatcar');
    assert.equal(r.versionId, '4757.2.0');
    assert.equal(r.version, '4757.2.0');
    assert.equal(r.prettyName, 'Flatcar Container Linux by Kinvolk 4757.2.0');
    assert.equal(r.fields.CPE_NAME, 'cpe:2.3:o:flatcar-linux:flatcar_linux:4757.2.0:*:*:*:*:*:*:*');
  });

  it('reads `grep VERSION_ID` output alone, in both formats', () => {
    assert.equal(parseOsRelease('VERSION_ID=2765.2.2\n').versionId, '2765.2.2');
    assert.equal(parseOsRelease('VERSION_ID="4628.1.0"\n').versionId, '4628.1.0');
  });

  it('applies os-release(5) shell quoting and escapes', () => {
    const r = parseOsRelease([
      '# comment', '', `PRETTY_NAME="a \\"quoted\\" \\$HOME \\\\ x"`, `NAME='single $literal \\n'`,
      'VARIANT=plain\\ word', 'VERSION_ID=1.2.3', '__proto__=x', `BROKEN="unterminated`,
    ].join('\r\n'));
    assert.equal(r.prettyName, 'a "quoted" $HOME \\ x');
    assert.equal(r.name, 'single $literal \\n');
    assert.equal(r.fields.VARIANT, 'plain word');
    assert.equal(r.fields.__proto__, 'x');
    assert.equal(r.fields.BROKEN, 'unterminated', 'a quote left open runs to the end of the file, as in systemd');
  });

  it('reads it as systemd does: a # inside a value is part of it, blanks around the key go, the last assignment wins', () => {
    const r = parseOsRelease([
      'BUG_REPORT_URL="https://issues.flatcar.org"',
      'SUPPORT_URL="https://groups.google.com/forum/#!forum/flatcar-linux-user"',
      'HOME_URL=https://flatcar.org/#top  ',
      '  VERSION_ID = 4757.2.0',
      'VERSION_ID="4757.2.1"',
      ' # VERSION_ID=1.0.0',
      'ANSI_COLOR="38;5;75"',
      'not-a-key=x',
      'ESCAPED="a\\nb"',
    ].join('\n'));
    assert.equal(r.fields.SUPPORT_URL, 'https://groups.google.com/forum/#!forum/flatcar-linux-user');
    assert.equal(r.fields.HOME_URL, 'https://flatcar.org/#top');
    assert.equal(r.versionId, '4757.2.1');
    assert.equal(r.fields.ANSI_COLOR, '38;5;75');
    assert.equal(r.fields['not-a-key'], undefined);
    assert.equal(r.fields.ESCAPED, 'a\\nb', 'a backslash before a character that needs none is kept');
  });

  it('fails with a typed error when there is no VERSION_ID', () => {
    assert.throws(() => parseOsRelease('ID=flatcar\n'), (e: unknown) => e instanceof FlatcarParseError && e.kind === 'unparseable-output');
  });
});

describe('update_engine_client -status', () => {
  it('parses the idle, downloading and need-reboot blocks', () => {
    assert.deepEqual(parseUpdateEngineStatus(STATUS_IDLE), {
      lastCheckedTime: 1653924489, progress: 0, currentOp: 'UPDATE_STATUS_IDLE', newVersion: '0.0.0', newSize: 0,
    });
    const dl = parseUpdateEngineStatus(STATUS_DOWNLOADING);
    assert.equal(dl.currentOp, 'UPDATE_STATUS_DOWNLOADING');
    assert.equal(dl.progress, 0.160216);
    assert.equal(dl.newSize, 458234665);
    assert.equal(parseUpdateEngineStatus(STATUS_NEED_REBOOT).newVersion, '2079.3.2');
  });

  it('reports the (null) block as status-unavailable, not as a status', () => {
    const r = tryParse(() => parseUpdateEngineStatus(STATUS_NULL));
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.kind, 'status-unavailable');
  });

  it('ignores log lines mixed into the output and rejects incomplete blocks', () => {
    const mixed = 'I20251016 23:21:35.021710 2584180 update_engine_client.cc:241] Querying Update Engine status...\n' + STATUS_IDLE;
    assert.equal(parseUpdateEngineStatus(mixed).currentOp, 'UPDATE_STATUS_IDLE');
    const r = tryParse(() => parseUpdateEngineStatus(STATUS_IDLE.split('\n').slice(0, 3).join('\n')));
    assert.equal(!r.ok && r.error.kind, 'unparseable-output');
    assert.match(!r.ok ? r.error.message : '', /NEW_VERSION, NEW_SIZE/);
    assert.equal(tryParse(() => parseUpdateEngineStatus(STATUS_IDLE.replace('UPDATE_STATUS_IDLE', 'UPDATE_STATUS_DISABLED'))).ok, false);
    assert.equal(tryParse(() => parseUpdateEngineStatus(STATUS_IDLE.replace('PROGRESS=0.000000', 'PROGRESS=1.5'))).ok, false);
  });
});

describe('systemctl is-enabled / is-active', () => {
  it('reads unit file states with their exit codes', () => {
    assert.deepEqual(parseIsEnabled({ stdout: 'masked\n', stderr: '', exitCode: 1 }), { state: 'masked', masked: true, enabled: false });
    assert.deepEqual(parseIsEnabled({ stdout: 'enabled\n', stderr: '', exitCode: 0 }), { state: 'enabled', masked: false, enabled: true });
    assert.equal(parseIsEnabled({ stdout: 'disabled\n', stderr: '', exitCode: 1 }).enabled, false);
    assert.equal(parseIsEnabled({ stdout: 'static\n', stderr: '', exitCode: 0 }).enabled, true);
    assert.equal(parseIsEnabled({
      stdout: '', stderr: 'Failed to get unit file state for nope.service: No such file or directory\n', exitCode: 1,
    }).state, 'not-found');
  });

  it('rejects a state whose exit code contradicts it', () => {
    assert.throws(() => parseIsEnabled({ stdout: 'masked\n', stderr: '', exitCode: 0 }), FlatcarParseError);
    assert.throws(() => parseIsActive({ stdout: 'active\n', stderr: '', exitCode: 3 }), FlatcarParseError);
  });

  it('reads active states', () => {
    assert.deepEqual(parseIsActive({ stdout: 'active\n', stderr: '', exitCode: 0 }), { state: 'active', running: true });
    for (const state of ['inactive', 'failed', 'activating', 'deactivating']) {
      assert.deepEqual(parseIsActive({ stdout: `${state}\n`, stderr: '', exitCode: 3 }), { state, running: false });
    }
  });
});

describe('update.conf', () => {
  it('reads GROUP, SERVER, REBOOT_STRATEGY, stripping one pair of quotes', () => {
    const c = parseUpdateConf('# set by admin\nGROUP=beta\nSERVER="disabled"\n\nREBOOT_STRATEGY=off\nLOCKSMITHD_REBOOT_WINDOW_START="Thu 04:00"\n');
    assert.equal(c.group, 'beta');
    assert.equal(c.server, 'disabled');
    assert.equal(c.rebootStrategy, 'off');
    assert.equal(c.rebootWindowStart, 'Thu 04:00');
  });

  it('reads it as update_engine does: the last occurrence wins, nothing is trimmed, no line is an error', () => {
    const c = parseUpdateConf('GROUP=stable\nGROUP=beta\nGROUP = alpha\nSERVER=disabled \nwhat is this\n#GROUP=lts\n');
    assert.equal(c.group, 'beta', '"GROUP " is another key');
    assert.equal(c.fields['GROUP '], ' alpha');
    assert.equal(c.server, 'disabled ', 'the trailing blank stays part of the value');
    assert.equal(c.fields['#GROUP'], 'lts', 'a # line is just a key nobody asks for');
  });

  it('reads locksmithd\'s keys as systemd hands them to it (EnvironmentFile=): blanks trimmed, comments skipped', () => {
    const c = parseUpdateConf('REBOOT_STRATEGY = off  \n# REBOOT_STRATEGY=reboot \\\nLOCKSMITHD_REBOOT_WINDOW_LENGTH=1h\nLOCKSMITHD_REBOOT_WINDOW_START="Thu 04:00" # weekly\n');
    assert.equal(c.rebootStrategy, 'off');
    assert.equal(c.fields.REBOOT_STRATEGY, undefined, 'update_engine would read the key "REBOOT_STRATEGY "');
    assert.equal(c.rebootWindowLength, '1h', 'a backslash ending a comment no longer continues it (systemd v254)');
    assert.equal(c.rebootWindowStart, 'Thu 04:00# weekly', 'after a closing quote the value goes on: no comment there');
    const eff = effectiveUpdateConf([parseUpdateConf('GROUP=beta\n'), parseUpdateConf('REBOOT_STRATEGY=etcd-lock\n')]);
    assert.equal(eff.rebootStrategy, 'etcd-lock', 'from /usr when /etc does not set it');
  });

  it('keeps the quotes on releases branched before update_engine learned to strip them (3510.x)', () => {
    assert.equal(parseUpdateConf('GROUP="beta"\n', { stripQuotes: updateEngineStripsQuotes('3510.2.8') }).group, '"beta"');
    assert.equal(parseUpdateConf('GROUP="beta"\n', { stripQuotes: updateEngineStripsQuotes('4459.2.1') }).group, 'beta');
  });

  it('lets /etc override /usr/share per key', () => {
    const usr = parseUpdateConf('SERVER=https://public.update.flatcar-linux.net/v1/update/\nGROUP=stable\n');
    const etc = parseUpdateConf('GROUP=lts\n');
    const eff = effectiveUpdateConf([etc, usr]);
    assert.equal(eff.group, 'lts');
    assert.equal(eff.server, 'https://public.update.flatcar-linux.net/v1/update/');
  });

  it('lifts SERVER=disabled for one run and puts back exactly what was there', () => {
    const text = '# mine\nSERVER=https://nebraska.example/v1/update/\nGROUP=beta\nSERVER="disabled"\n';
    const lifted = liftServerDisabled(text);
    assert.ok(lifted !== null);
    assert.equal(effectiveUpdateConf([parseUpdateConf(lifted)]).server, 'https://nebraska.example/v1/update/');
    assert.ok(serverSendsRequests(parseUpdateConf(lifted).server));
    assert.equal(restoreLiftedServer(lifted), text);
    assert.equal(liftServerDisabled('GROUP=beta\n'), null, 'nothing to lift');
    assert.equal(restoreLiftedServer('GROUP=beta\n'), null, 'nothing to put back');
    assert.equal(serverSendsRequests(parseUpdateConf('SERVER=\n').server), false);
  });
});

describe('versions', () => {
  it('parses MAJOR.MINOR.PATCH with the channel from MINOR', () => {
    assert.deepEqual(
      ['3717.0.0', '3602.1.5', '3510.2.7', '3033.3.17', '4799.5.0'].map((v) => parseFlatcarVersion(v).channel),
      ['alpha', 'beta', 'stable', 'lts', null],
    );
    assert.equal(parseFlatcarVersion('4799.0.0+nightly-20260821-2100').build, 'nightly-20260821-2100');
    for (const bad of ['', '1.2', '01.2.3', '1.2.3.4', 'v1.2.3', '0.0.0.0x']) assert.throws(() => parseFlatcarVersion(bad), FlatcarParseError);
  });

  it('orders versions numerically, not as text, in the one order the core and the UI share', () => {
    const sign = (a: string | null, b: string | null) => Math.sign(compareVersions(a, b));
    assert.equal(sign('3033.2.0', '3033.2.10'), -1);
    assert.equal(sign('4757.2.0', '4230.2.4'), 1);
    assert.equal(sign('4799.0.0+nightly-20260821-2100', '4799.0.0'), 0);
    assert.equal(sign(null, '3033.2.0'), -1, 'an unknown version sorts first');
    assert.deepEqual(['4459.2.1', '4230.2.10', '4230.2.9', null].sort(compareVersions), [null, '4230.2.9', '4230.2.10', '4459.2.1']);
  });
});

describe('boot id and glog lines', () => {
  it('reads a boot id', () => {
    assert.equal(parseBootId('8181f9d7-4fb1-4e32-9102-b1821a4359f0\n'), '8181f9d7-4fb1-4e32-9102-b1821a4359f0');
    assert.throws(() => parseBootId('8181F9D7'), FlatcarParseError);
  });

  it('reads the three glog formats', () => {
    assert.deepEqual(parseGlogLine('I20251016 23:21:35.021710 2584180 update_engine_client.cc:241] Querying Update Engine status...'),
      { level: 'info', source: 'update_engine_client.cc:241', message: 'Querying Update Engine status...' });
    assert.equal(parseGlogLine('E0530 15:38:14.290454  2224 update_engine_client.cc:65] Giving up -- unable to get dbus proxy for com.coreos.update1')?.level, 'error');
    assert.deepEqual(parseGlogLine('[0123/220706:INFO:update_engine_client.cc(245)] Initiating update check and install.'),
      { level: 'info', source: 'update_engine_client.cc:245', message: 'Initiating update check and install.' });
    assert.equal(parseGlogLine('plain text'), undefined);
  });
});

describe('fuzz: no input throws anything but FlatcarParseError', () => {
  const interesting = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.array(fc.oneof(
      fc.constantFrom(...[OS_RELEASE_3033, OS_RELEASE_4757, STATUS_IDLE, STATUS_NULL, STATUS_DOWNLOADING].flatMap((s) => s.split('\n'))),
      fc.string(), fc.constantFrom('"', "'", '\\', '=', '__proto__=1', 'constructor=x', 'masked', 'active', '\r'),
    )).map((lines) => lines.join('\n')),
  );
  for (const [name, parse] of Object.entries(PARSERS)) {
    it(name, () => {
      fc.assert(fc.property(interesting, (input) => {
        try {
          parse(input);
        } catch (e) {
          assert.ok(e instanceof FlatcarParseError, `threw ${String(e)}`);
          assert.ok(e.error.message.length > 0);
        }
      }), { numRuns: 1500 });
    });
  }
});
