import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FuseV1Options, flipFuses } from '@electron/fuses';
import { afterPack, fuseConfig } from '../../scripts/after-pack.mjs';
import { assertReleaseFuses, fuseOff, fuseOn, readFuses, writeFakeElectron } from './fuse-wire.ts';

async function flippedWire(testBuild: boolean): Promise<Record<number, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'flatdeck-fuses-'));
  try {
    const binary = join(dir, 'flatdeck');
    writeFakeElectron(binary);
    let flipped = 0;
    // The same call electron-builder's packager makes for addElectronFuses, on our fake binary.
    const context = { packager: { addElectronFuses: async (_ctx: unknown, fuses: Parameters<typeof flipFuses>[1]) => (flipped = await flipFuses(binary, fuses)) } };
    const previous = process.env.FLATDECK_TEST_BUILD;
    process.env.FLATDECK_TEST_BUILD = testBuild ? '1' : '';
    try {
      await afterPack(context);
    } finally {
      if (previous === undefined) delete process.env.FLATDECK_TEST_BUILD;
      else process.env.FLATDECK_TEST_BUILD = previous;
    }
    assert.equal(flipped, 1);
    return await readFuses(binary);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Electron fuses (afterPack)', () => {
  it('release builds: no RunAsNode, no NODE_OPTIONS, no --inspect; cookie encryption, ASAR-only with integrity', async () => {
    const wire = await flippedWire(false);
    assertReleaseFuses(wire);
    assert.equal(wire[FuseV1Options.LoadBrowserProcessSpecificV8Snapshot], fuseOn, 'left as Electron ships it');
  });

  it('test builds (FLATDECK_TEST_BUILD=1) keep --inspect for Playwright and change nothing else', async () => {
    const test = await flippedWire(true);
    const release = await flippedWire(false);
    assert.equal(test[FuseV1Options.EnableNodeCliInspectArguments], fuseOn);
    assert.deepEqual({ ...test, [FuseV1Options.EnableNodeCliInspectArguments]: fuseOff }, release);
    assert.equal(fuseConfig({ testBuild: true })[FuseV1Options.RunAsNode], false);
  });
});
