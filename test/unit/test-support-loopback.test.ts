import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loopbackBlock } from '../support/loopback.ts';

const claimInChild = `import('./test/support/loopback.ts').then(({ loopbackBlock }) => console.log(loopbackBlock().base))`;

describe('test loopback blocks', () => {
  it('gives each process its own /24 and hands out host addresses inside it', () => {
    const mine = loopbackBlock();
    try {
      const other = spawnSync(process.execPath, ['--import', 'tsx', '-e', claimInChild], { encoding: 'utf8' });
      assert.equal(other.status, 0, other.stderr);
      const theirs = other.stdout.trim();
      assert.match(theirs, /^127\.\d+\.\d+\.1$/);
      assert.notEqual(theirs.split('.').slice(0, 3).join('.'), mine.base.split('.').slice(0, 3).join('.'));
      assert.equal(mine.host(200), `${mine.base.slice(0, -2)}.200`);
      assert.throws(() => mine.host(255), /outside 1\.\.254/);
    } finally {
      mine.release();
    }
  });

  it('takes over a block whose owner has exited', () => {
    const probe = loopbackBlock();
    probe.release();
    // a pid far above any live one: the lock file of a crashed test run
    writeFileSync(join(tmpdir(), 'flatdeck-test-loopback', probe.base.slice(0, -2)), '2147483646');
    const again = loopbackBlock();
    try {
      assert.equal(again.base, probe.base);
    } finally {
      again.release();
    }
  });

  it('keeps to the range FLATDECK_TEST_LOOPBACK names', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', claimInChild], { encoding: 'utf8', env: { ...process.env, FLATDECK_TEST_LOOPBACK: '127.77.0.0/16' } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout.trim(), /^127\.77\.([1-9]\d?|1\d\d|2[0-4]\d|25[0-5])\.1$/);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', '-e', claimInChild], { encoding: 'utf8', env: { ...process.env, FLATDECK_TEST_LOOPBACK: '10.0.0.0/8' } });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /FLATDECK_TEST_LOOPBACK must look like 127\.N\.0\.0\/16/);
  });
});
