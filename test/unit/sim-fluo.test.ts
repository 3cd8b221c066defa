// The parts of the simulated FLUO that read configuration as FLUO's Go binaries do (sim/fluo): the container's
// flags and env (cmd/update-*/main.go with flagutil.SetFlagsFromEnv) and the host files behind the agent's info
// labels (pkg/agent/agent.go getVersionInfo, splitNewlineEnv).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fluoBinaryOf, readFlags, stringSlice } from '../../sim/fluo/flags.ts';
import type { FluoHost } from '../../sim/fluo/host.ts';
import { readVersionInfo, splitNewlineEnv } from '../../sim/fluo/version-info.ts';

const IMAGE = 'ghcr.io/flatcar/flatcar-linux-update-operator:v0.10.0-rc2';

function hostWith(files: Record<string, string>): FluoHost {
  return {
    name: 'n',
    isUp: () => true,
    onPowerChange: () => () => undefined,
    readHostFile: (path) => files[path] ?? null,
    updateEngineStatus: () => null,
    onUpdateEngineSignal: () => () => undefined,
    reboot: () => undefined,
  };
}

describe('simulated FLUO configuration', () => {
  it("knows FLUO's binaries by image and command, and nothing else", () => {
    assert.equal(fluoBinaryOf({ image: IMAGE, command: ['/bin/update-agent'] }), 'update-agent');
    assert.equal(fluoBinaryOf({ image: 'quay.io/kinvolk/flatcar-linux-update-operator@sha256:ab', command: ['/bin/update-operator'] }), 'update-operator');
    assert.equal(fluoBinaryOf({ image: 'docker.io/library/busybox:1.37', command: ['/bin/update-agent'] }), null);
    assert.equal(fluoBinaryOf({ image: IMAGE }), null, 'no command: the image entrypoint is not assumed');
  });

  it('flags from the command line win over UPDATE_OPERATOR_* env; env fills the rest; parsing stops at the first non-flag', () => {
    const flags = readFlags(
      {
        image: IMAGE,
        command: ['/bin/update-operator', '--reboot-window-start=Thu 04:00', '-before-reboot-annotations', 'a/ok,b/ok'],
        args: ['positional', '--after-reboot-annotations=never-read'],
        env: [
          { name: 'UPDATE_OPERATOR_REBOOT_WINDOW_START', value: 'Mon 01:00' },
          { name: 'UPDATE_OPERATOR_REBOOT_WINDOW_LENGTH', value: '1h30m' },
          { name: 'UPDATE_OPERATOR_AFTER_REBOOT_ANNOTATIONS' },
        ],
      },
      'UPDATE_OPERATOR',
      ['reboot-window-start', 'reboot-window-length', 'before-reboot-annotations', 'after-reboot-annotations'],
    );
    assert.deepEqual(Object.fromEntries(flags), { 'reboot-window-start': 'Thu 04:00', 'before-reboot-annotations': 'a/ok,b/ok', 'reboot-window-length': '1h30m' });
    assert.deepEqual(stringSlice(flags.get('before-reboot-annotations')), ['a/ok', 'b/ok']);
    const agent = readFlags({ command: ['/bin/update-agent', '--force-drain', '--grace-period', '30'] }, 'UPDATE_AGENT', ['grace-period', 'force-drain'], ['force-drain']);
    assert.deepEqual(Object.fromEntries(agent), { 'force-drain': 'true', 'grace-period': '30' });
  });

  it('splits KEY=VALUE at the first "=", trims every surrounding quote, skips lines without "=", later lines win', () => {
    const env = new Map<string, string>();
    splitNewlineEnv(env, 'NAME="Flatcar Container Linux by Kinvolk"\r\nSUPPORT_URL="https://groups.google.com/forum/#!forum/flatcar-linux-user"\n# comment\nGROUP=\'beta\'\nX==y\nGROUP=stable\n');
    assert.deepEqual(Object.fromEntries(env), { NAME: 'Flatcar Container Linux by Kinvolk', SUPPORT_URL: 'https://groups.google.com/forum/#!forum/flatcar-linux-user', GROUP: 'stable', X: '=y' });
  });

  it('info labels: ID and VERSION from os-release, GROUP from /etc/flatcar/update.conf over the image default', () => {
    const files = { '/etc/os-release': 'ID=flatcar\nVERSION="4757.2.0"\nVERSION_ID="4757.2.0"\n', '/usr/share/flatcar/update.conf': 'SERVER=https://public.update.flatcar-linux.net/v1/update/\nGROUP=stable\n' };
    assert.deepEqual(readVersionInfo(hostWith(files)), { id: 'flatcar', group: 'stable', version: '4757.2.0' });
    assert.deepEqual(readVersionInfo(hostWith({ ...files, '/etc/flatcar/update.conf': 'GROUP=beta\n' })).group, 'beta');
    assert.throws(() => readVersionInfo(hostWith({ '/etc/os-release': 'ID=flatcar\n' })), /reading file "\/usr\/share\/flatcar\/update.conf"/);
  });
});
