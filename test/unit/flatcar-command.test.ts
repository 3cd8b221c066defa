import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { command, quoteWord, toShellLine } from '../../app/flatcar/command.ts';
import { grepVersionId, readOsRelease } from '../../app/flatcar/os-release.ts';
import { updateEngineClient } from '../../app/flatcar/update-engine.ts';
import { FLATCAR_UNITS, systemctl } from '../../app/flatcar/systemctl.ts';
import { readUpdateConf } from '../../app/flatcar/update-conf.ts';
import { readBootId } from '../../app/flatcar/boot-id.ts';
import { sudoCheck } from '../../app/flatcar/sudo-check.ts';
import { healthCheck } from '../../app/flatcar/health-check.ts';

/**
 * A POSIX sh word splitter for the subset a quoted line may use: blanks between words, '…', "…", and
 * backslash escapes. Any unquoted character with a meaning to the shell (expansion, operator, comment,
 * glob, tilde) throws: it would mean that the line does more than pass words.
 */
function splitPosixWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let i = 0;
  const append = (s: string) => { word = (word ?? '') + s; };
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      if (word !== null) words.push(word);
      word = null;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated single quote');
      append(line.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (line[j] !== '"') {
        if (j >= line.length) throw new Error('unterminated double quote');
        if (line[j] === '$' || line[j] === '`') throw new Error(`expansion inside double quotes at ${j}`);
        if (line[j] === '\\' && '$`"\\\n'.includes(line[j + 1] ?? '')) { s += line[j + 1]; j += 2; } else { s += line[j]; j++; }
      }
      append(s);
      i = j + 1;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new Error('trailing backslash');
      if (line[i + 1] !== '\n') append(line[i + 1]!);
      i += 2;
    } else if ('|&;<>()$`*?[#~=\n\r{}!'.includes(c) && !(word !== null && '=#~}!'.includes(c))) {
      throw new Error(`unquoted shell metacharacter ${JSON.stringify(c)} at ${i}`);
    } else {
      append(c);
      i++;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

const expectedWords = (argv: readonly string[], sudo: boolean) => (sudo ? ['sudo', '-n', ...argv] : [...argv]);
// Anything a JS string can hold except NUL, which no argv can carry; weighted toward shell-hostile text.
const hostileChar = fc.constantFrom(...` ;|&$()\`'"\\\n\t*?[]{}~#=!<>%`.split(''), 'é', '🚀', '\u2028');
const hostileWord = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: fc.oneof(hostileChar, fc.string({ minLength: 1, maxLength: 1 })) }),
  fc.constantFrom('$(reboot)', '`reboot`', "'; reboot; '", '"; reboot #', 'a\nreboot', '\\', "'", '', '-n', 'a=b'),
).filter((s) => !s.includes('\0'));

describe('toShellLine', () => {
  it('leaves plain words alone and single-quotes everything else', () => {
    assert.equal(toShellLine(command(['grep', 'VERSION_ID', '/etc/os-release'])), 'grep VERSION_ID /etc/os-release');
    assert.equal(toShellLine(command(['update_engine_client', '-status'], true)), 'sudo -n update_engine_client -status');
    assert.equal(quoteWord("it's"), `'it'\\''s'`);
    assert.equal(quoteWord(''), "''");
    assert.equal(quoteWord('a=b'), "'a=b'");
    assert.equal(quoteWord('$(reboot)'), "'$(reboot)'");
  });

  it('refuses NUL and empty commands instead of producing a wrong line', () => {
    assert.throws(() => quoteWord('a\0b'), RangeError);
    assert.throws(() => toShellLine(command([])), RangeError);
  });

  it('round-trips any argv through a POSIX word splitter', () => {
    fc.assert(fc.property(fc.array(hostileWord, { minLength: 1, maxLength: 6 }), fc.boolean(), (argv, sudo) => {
      assert.deepEqual(splitPosixWords(toShellLine(command(argv, sudo))), expectedWords(argv, sudo));
    }), { numRuns: 2000 });
  });

  it('a real /bin/sh receives exactly the intended words and runs nothing else', () => {
    // printf prints each word NUL-terminated; any executed injection would add output or fail the check.
    fc.assert(fc.property(fc.array(hostileWord, { minLength: 1, maxLength: 4 }), (argv) => {
      const line = toShellLine(command(['printf', '%s\\0', ...argv]));
      const r = spawnSync('/bin/sh', ['-c', line], { encoding: 'buffer' });
      assert.equal(r.status, 0, r.stderr.toString());
      const printed = r.stdout.toString('utf8').split('\0').slice(0, -1);
      assert.deepEqual(printed, argv.map((w) => Buffer.from(w, 'utf8').toString('utf8')));
    }), { numRuns: 150 });
  });
});

describe('command builders', () => {
  it('produce fixed argument vectors', () => {
    assert.equal(toShellLine(grepVersionId()), 'grep VERSION_ID /etc/os-release');
    assert.equal(toShellLine(readOsRelease()), 'cat /etc/os-release');
    assert.equal(toShellLine(readBootId()), 'cat /proc/sys/kernel/random/boot_id');
    assert.equal(toShellLine(readUpdateConf('etc')), 'cat /etc/flatcar/update.conf');
    assert.equal(toShellLine(readUpdateConf('usr')), 'cat /usr/share/flatcar/update.conf');
    assert.equal(toShellLine(sudoCheck()), 'sudo -n true');
    assert.equal(toShellLine(systemctl.unmask('update-engine.service')), 'sudo -n systemctl unmask update-engine.service');
    assert.equal(toShellLine(systemctl.isEnabled('locksmithd.service')), 'systemctl is-enabled locksmithd.service');
    assert.equal(toShellLine(systemctl.reboot()), 'sudo -n systemctl reboot');
    assert.deepEqual(
      Object.values(updateEngineClient).map((b) => toShellLine(b())),
      ['-status', '-check_for_update', '-watch_for_updates', '-reset_status', '-update'].map((f) => `sudo -n update_engine_client ${f}`),
    );
  });

  it('only query verbs run without sudo, and only known units can be named', () => {
    for (const unit of FLATCAR_UNITS) {
      assert.equal(systemctl.isActive(unit).sudo, false);
      for (const verb of ['unmask', 'mask', 'start', 'stop', 'mask-runtime', 'unmask-runtime'] as const) assert.equal(systemctl[verb](unit).sudo, true);
    }
    // @ts-expect-error a unit outside the closed set is a type error
    systemctl.start('sshd.service');
  });

  it('returns frozen commands that callers cannot extend', () => {
    const cmd = systemctl.start('update-engine.service');
    assert.throws(() => (cmd.argv as string[]).push('; reboot'), TypeError);
  });
});

describe('health check builder', () => {
  it('passes the operator script as one sh -c argument, exactly', () => {
    const script = 'test -e /run/ok && echo "fine; $(hostname)"';
    const cmd = healthCheck(script);
    assert.deepEqual(cmd.argv, ['sh', '-c', script]);
    const r = spawnSync('/bin/sh', ['-c', toShellLine(command(['printf', '%s\\0', ...cmd.argv.slice(2)]))], { encoding: 'utf8' });
    assert.equal(r.stdout, `${script}\0`);
    assert.throws(() => healthCheck('  '), RangeError);
    assert.throws(() => healthCheck('x'.repeat(5000)), RangeError);
  });
});
