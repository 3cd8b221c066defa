import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FuseV1Options, flipFuses, getCurrentFuseWire } from '@electron/fuses';
import { afterPack, fuseConfig } from '../../scripts/after-pack.mjs';

// An Electron binary carries its fuse wire after this marker: version byte, length byte, one byte per fuse
// ('0' off, '1' on). A small file with the same layout lets the real @electron/fuses flip it here.
const sentinel = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const on = '1'.charCodeAt(0);
const off = '0'.charCodeAt(0);

function fakeElectron(dir: string): string {
  const path = join(dir, 'flatdeck');
  const wire = Buffer.from([1, 8, ...Array<number>(8).fill(on)]);
  writeFileSync(path, Buffer.concat([Buffer.from('ELF padding '), Buffer.from(sentinel), wire, Buffer.from(' more code')]));
  return path;
}

async function flippedWire(testBuild: boolean): Promise<Record<number, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'flatdeck-fuses-'));
  try {
    const binary = fakeElectron(dir);
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
    return (await getCurrentFuseWire(binary)) as unknown as Record<number, number>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Electron fuses (afterPack)', () => {
  it('release builds: no RunAsNode, no NODE_OPTIONS, no --inspect; cookie encryption, ASAR-only with integrity', async () => {
    const wire = await flippedWire(false);
    assert.equal(wire[FuseV1Options.RunAsNode], off);
    assert.equal(wire[FuseV1Options.EnableCookieEncryption], on);
    assert.equal(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable], off);
    assert.equal(wire[FuseV1Options.EnableNodeCliInspectArguments], off);
    assert.equal(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation], on);
    assert.equal(wire[FuseV1Options.OnlyLoadAppFromAsar], on);
    assert.equal(wire[FuseV1Options.GrantFileProtocolExtraPrivileges], off);
    assert.equal(wire[FuseV1Options.LoadBrowserProcessSpecificV8Snapshot], on, 'left as Electron ships it');
  });

  it('test builds (FLATDECK_TEST_BUILD=1) keep --inspect for Playwright and change nothing else', async () => {
    const test = await flippedWire(true);
    const release = await flippedWire(false);
    assert.equal(test[FuseV1Options.EnableNodeCliInspectArguments], on);
    assert.deepEqual({ ...test, [FuseV1Options.EnableNodeCliInspectArguments]: off }, release);
    assert.equal(fuseConfig({ testBuild: true })[FuseV1Options.RunAsNode], false);
  });
});
