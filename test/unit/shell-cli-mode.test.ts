import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cliArguments } from '../../main/electron/cli-mode.ts';

describe('the packaged binary as the CLI', () => {
  it('runs a command given after the binary, and --help / --version', () => {
    assert.deepEqual(cliArguments(['/opt/flatdeck/flatdeck', 'nodes', '--context', 'prod'], true), ['nodes', '--context', 'prod']);
    assert.deepEqual(cliArguments(['/opt/flatdeck/flatdeck', 'serve', '--demo'], true), ['serve', '--demo']);
    assert.deepEqual(cliArguments(['flatdeck.exe', '--version'], true), ['--version']);
    assert.deepEqual(cliArguments(['electron', 'dist/electron/main.mjs', 'nodes', '--demo'], false), ['nodes', '--demo']);
  });

  it('opens the window without arguments, for --demo and for what desktops add', () => {
    assert.equal(cliArguments(['/opt/flatdeck/flatdeck'], true), null);
    assert.equal(cliArguments(['/Applications/flatdeck.app/Contents/MacOS/flatdeck', '-psn_0_12345'], true), null);
    assert.equal(cliArguments(['/opt/flatdeck/flatdeck', '--no-sandbox'], true), null);
    assert.equal(cliArguments(['electron', 'dist/electron/main.mjs', '--demo'], false), null);
  });
});
