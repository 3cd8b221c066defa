import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toShellLine } from '../../app/flatcar/command.ts';
import { FlatcarParseError } from '../../app/flatcar/errors.ts';
import { parseRebootRequired, readRebootRequired, readRebootRequiredPkgs } from '../../app/flatcar/ubuntu-reboot-required.ts';

const out = (exitCode: number, stdout = '', stderr = '') => ({ exitCode, stdout, stderr, signal: null });
const missing = (path: string) => out(1, '', `cat: ${path}: No such file or directory\n`);

describe('Ubuntu reboot-required sentinel', () => {
  it('reads both files with plain cat, no sudo (they are world-readable)', () => {
    assert.equal(toShellLine(readRebootRequired()), 'cat /var/run/reboot-required');
    assert.equal(toShellLine(readRebootRequiredPkgs()), 'cat /var/run/reboot-required.pkgs');
  });

  it('a sentinel with its package list: required, each package once in the order it asked', () => {
    const r = parseRebootRequired(out(0, '*** System restart required ***\n'), out(0, 'linux-image-5.15.0-127-generic\nlinux-base\nlinux-image-5.15.0-127-generic\n'));
    assert.deepEqual(r, { required: true, packages: ['linux-image-5.15.0-127-generic', 'linux-base'] });
  });

  it('a sentinel without .pkgs (a package that did not name itself) is still required, with no packages', () => {
    assert.deepEqual(parseRebootRequired(out(0, '*** System restart required ***\n'), missing('/var/run/reboot-required.pkgs')), { required: true, packages: [] });
  });

  it('neither file: no reboot required', () => {
    assert.deepEqual(parseRebootRequired(missing('/var/run/reboot-required'), missing('/var/run/reboot-required.pkgs')), { required: false, packages: [] });
  });

  it('a cat that failed for another reason is an error, not "not required"', () => {
    assert.throws(() => parseRebootRequired(out(1, '', 'cat: /var/run/reboot-required: Permission denied\n'), missing('/var/run/reboot-required.pkgs')), FlatcarParseError);
    assert.throws(() => parseRebootRequired(out(0), out(1, '', 'cat: /var/run/reboot-required.pkgs: Input/output error\n')), /reboot-required\.pkgs/);
  });

  it('a .pkgs line that is no Debian package name is refused rather than shown', () => {
    assert.throws(() => parseRebootRequired(out(0), out(0, 'linux-base\n\u001b[31mevil\n')), /not a Debian package name/);
  });
});
