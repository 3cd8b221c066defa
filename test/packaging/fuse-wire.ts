import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';

// An Electron binary carries its fuse wire after this marker: version byte, length byte, one byte per fuse
// ('0' off, '1' on). A small file with the same layout lets the real @electron/fuses flip it in tests.
const sentinel = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
export const fuseOn = '1'.charCodeAt(0);
export const fuseOff = '0'.charCodeAt(0);

/** Writes a stand-in Electron executable whose eight V1 fuses are all on. */
export function writeFakeElectron(path: string): void {
  const wire = Buffer.from([1, 8, ...Array<number>(8).fill(fuseOn)]);
  writeFileSync(path, Buffer.concat([Buffer.from('#!/bin/sh\n'), Buffer.from(sentinel), wire, Buffer.from('\n')]));
  chmodSync(path, 0o755);
}

export async function readFuses(path: string): Promise<Record<number, number>> {
  return (await getCurrentFuseWire(path)) as unknown as Record<number, number>;
}

/** What a release build of flatdeck must have (scripts/after-pack.mjs). */
export function assertReleaseFuses(fuses: Record<number, number>): void {
  assert.equal(fuses[FuseV1Options.RunAsNode], fuseOff, 'RunAsNode');
  assert.equal(fuses[FuseV1Options.EnableCookieEncryption], fuseOn, 'EnableCookieEncryption');
  assert.equal(fuses[FuseV1Options.EnableNodeOptionsEnvironmentVariable], fuseOff, 'EnableNodeOptionsEnvironmentVariable');
  assert.equal(fuses[FuseV1Options.EnableNodeCliInspectArguments], fuseOff, 'EnableNodeCliInspectArguments');
  assert.equal(fuses[FuseV1Options.EnableEmbeddedAsarIntegrityValidation], fuseOn, 'EnableEmbeddedAsarIntegrityValidation');
  assert.equal(fuses[FuseV1Options.OnlyLoadAppFromAsar], fuseOn, 'OnlyLoadAppFromAsar');
  assert.equal(fuses[FuseV1Options.GrantFileProtocolExtraPrivileges], fuseOff, 'GrantFileProtocolExtraPrivileges');
}
