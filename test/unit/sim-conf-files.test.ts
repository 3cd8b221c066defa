// The two readers of /etc/flatcar/update.conf on a simulated node read the same text the way the real ones do:
// update_engine's simple_key_value_store and systemd's EnvironmentFile= (which locksmithd gets its strategy from).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { confValue, parseEnvironmentFile, parseKeyValueStore, stripsQuotes } from '../../sim/fleet/conf-files.ts';

const CURRENT = '4757.2.0';
const OLD = '3510.2.8';

describe('update_engine update.conf reader (simple_key_value_store.cc)', () => {
  it('takes the last occurrence of a key', () => {
    assert.equal(parseKeyValueStore('GROUP=beta\nGROUP=stable\n', CURRENT).get('GROUP'), 'stable');
  });

  it('does not trim: "GROUP = beta" sets the key "GROUP " with the value " beta"', () => {
    const kv = parseKeyValueStore('GROUP = beta\n', CURRENT);
    assert.equal(kv.get('GROUP'), undefined);
    assert.equal(kv.get('GROUP '), ' beta');
  });

  it('strips surrounding quotes only on releases branched after update_engine db448f9 (2023-10)', () => {
    assert.equal(stripsQuotes(CURRENT), true);
    assert.equal(stripsQuotes(OLD), false);
    assert.equal(parseKeyValueStore('GROUP="beta"\n', CURRENT).get('GROUP'), 'beta');
    assert.equal(parseKeyValueStore("GROUP='beta'\n", CURRENT).get('GROUP'), 'beta');
    assert.equal(parseKeyValueStore('GROUP="beta"\n', OLD).get('GROUP'), '"beta"');
  });

  it('has no comments: a "# GROUP=x" line sets the key "# GROUP"', () => {
    const kv = parseKeyValueStore('# GROUP=beta\n', CURRENT);
    assert.equal(kv.get('GROUP'), undefined);
    assert.equal(kv.get('# GROUP'), 'beta');
  });

  it('looks a key up in /etc first, then the image files, per key', () => {
    const etc = 'SERVER=disabled\n';
    const usr = 'SERVER=https://public.update.flatcar-linux.net/v1/update/\nGROUP=beta\n';
    assert.equal(confValue([etc, usr], 'SERVER', CURRENT), 'disabled');
    assert.equal(confValue([etc, usr], 'GROUP', CURRENT), 'beta');
    assert.equal(confValue([null, '', usr], 'MACHINE_ALIAS', CURRENT), undefined);
  });
});

describe('systemd EnvironmentFile= reader (env-file.c), as locksmithd.service loads update.conf', () => {
  it('drops comments and the whitespace around keys, = and unquoted values', () => {
    const env = parseEnvironmentFile('# REBOOT_STRATEGY=off\n  REBOOT_STRATEGY = etcd-lock  \n; x=y\n');
    assert.deepEqual([...env], [['REBOOT_STRATEGY', 'etcd-lock']]);
  });

  it('unquotes single and double quotes, with backslash escapes inside double quotes', () => {
    const env = parseEnvironmentFile(`A="off"\nB='a "b"'\nC="x\\"y\\z"\nD=a\\ b\n`);
    assert.equal(env.get('A'), 'off');
    assert.equal(env.get('B'), 'a "b"');
    assert.equal(env.get('C'), 'x"y\\z');
    assert.equal(env.get('D'), 'a b');
  });

  it('lets later lines and later files win', () => {
    const env = parseEnvironmentFile('REBOOT_STRATEGY=reboot\n');
    parseEnvironmentFile('REBOOT_STRATEGY=off\nREBOOT_STRATEGY=etcd-lock', env);
    assert.equal(env.get('REBOOT_STRATEGY'), 'etcd-lock');
  });

  it('ignores lines without = and keys that are not variable names', () => {
    const env = parseEnvironmentFile('garbage line\n1X=y\nOK=1\n');
    assert.deepEqual([...env], [['OK', '1']]);
  });
});
