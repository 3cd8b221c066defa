// Reading a Flatcar disk's USR partitions (rootdev, cgpt show, the other partition's release) and what a
// rollback means for each state they can be in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diskOf, nextBootOf, parseCgptShow, parseReleaseVersion, parseRootdev, planRollback, type UsrPartitionsRead } from '../../app/flatcar/usr-partitions.ts';
import { FlatcarParseError } from '../../app/flatcar/errors.ts';

// manual-rollbacks.md's listing after an update was staged on USR-B
const CGPT_SHOW = `       start        size    part  contents
           0           1          Hybrid MBR
           1           1          Pri GPT header
           2          32          Pri GPT table
        4096      262144       1  Label: "EFI-SYSTEM"
                                  Type: EFI System Partition
                                  UUID: 596FF08E-5617-4497-B10B-27A23F658B73
                                  Attr: Legacy BIOS Bootable
      270336     2097152       3  Label: "USR-A"
                                  Type: Alias for flatcar-rootfs
                                  UUID: 7130C94A-213A-4E5A-8E26-6CCE9662F132
                                  Attr: priority=1 tries=0 successful=1
     2367488     2097152       4  Label: "USR-B"
                                  Type: Alias for coreos-rootfs
                                  UUID: E03DD35C-7C2D-4A47-B3FE-27F15780A57C
                                  Attr: priority=2 tries=1 successful=0
     4857856    37085151       9  Label: "ROOT"
                                  Type: Flatcar Container Linux auto-resize
                                  UUID: D9A972BB-8084-4AB5-BA55-F8A3AFFAD70D
`;

const part = (label: string, device: string, priority: number, tries: number, successful: boolean, version: string | null) => ({ label, device, priority, tries, successful, version });

describe('USR partitions', () => {
  it('reads the two USR partitions of cgpt show, the booted device and disk, and the release file', () => {
    assert.deepEqual(parseCgptShow(CGPT_SHOW), [
      { number: 3, label: 'USR-A', priority: 1, tries: 0, successful: true },
      { number: 4, label: 'USR-B', priority: 2, tries: 1, successful: false },
    ]);
    assert.equal(parseRootdev('/dev/sda4\n'), '/dev/sda4');
    assert.deepEqual(diskOf('/dev/nvme0n1p3'), { disk: '/dev/nvme0n1', number: 3 });
    assert.deepEqual(diskOf('/dev/vda4'), { disk: '/dev/vda', number: 4 });
    assert.equal(parseReleaseVersion('FLATCAR_RELEASE_VERSION=4593.2.0\nFLATCAR_RELEASE_BOARD=amd64-usr\n'), '4593.2.0');
  });

  it('refuses output that is not what it expects, naming what it read', () => {
    assert.throws(() => parseCgptShow(CGPT_SHOW.split('USR-B')[0] as string), (e: unknown) => e instanceof FlatcarParseError && /found 1/.test(e.message));
    assert.throws(() => parseRootdev('rootdev: no such device\n'), FlatcarParseError);
    assert.throws(() => parseReleaseVersion(''), FlatcarParseError);
  });

  it('boots next what GRUB would: the higher priority among partitions that are successful or have tries', () => {
    const booted = part('USR-A', '/dev/sda3', 1, 0, true, '4459.2.1');
    assert.equal(nextBootOf(booted, part('USR-B', '/dev/sda4', 2, 1, false, '4757.2.3')), 'other');
    assert.equal(nextBootOf(booted, part('USR-B', '/dev/sda4', 2, 0, false, '4757.2.3')), 'booted', 'no tries left: GRUB falls back');
    assert.equal(nextBootOf(part('USR-A', '/dev/sda3', 2, 0, true, '4459.2.1'), part('USR-B', '/dev/sda4', 1, 0, true, '4757.2.3')), 'booted');
  });

  it('plans a rollback, a discard of a staged update, or says why neither is possible', () => {
    const read = (booted: ReturnType<typeof part>, other: ReturnType<typeof part>): UsrPartitionsRead => ({ booted, other, nextBoot: nextBootOf(booted, other) });
    assert.deepEqual(planRollback(read(part('USR-B', '/dev/sda4', 2, 0, true, '4757.2.0'), part('USR-A', '/dev/sda3', 1, 0, true, '4593.2.0'))), { kind: 'rollback', version: '4593.2.0', device: '/dev/sda3', alreadyPrioritized: false });
    assert.deepEqual(planRollback(read(part('USR-A', '/dev/sda3', 1, 0, true, '4459.2.1'), part('USR-B', '/dev/sda4', 2, 1, false, '4757.2.3'))), { kind: 'discard-staged', version: '4757.2.3' });
    const fresh = planRollback(read(part('USR-A', '/dev/sda3', 2, 0, true, '3510.2.8'), part('USR-B', '/dev/sda4', 1, 0, false, null)));
    assert.equal(fresh.kind, 'impossible');
    assert.match(fresh.kind === 'impossible' ? fresh.reason : '', /USR-B, \/dev\/sda4\) holds no Flatcar release: this machine has never been updated/);
    const fellBack = planRollback(read(part('USR-A', '/dev/sda3', 1, 0, true, '4459.2.1'), part('USR-B', '/dev/sda4', 2, 0, false, '4757.2.3')));
    assert.match(fellBack.kind === 'impossible' ? fellBack.reason : '', /holds 4757\.2\.3, which never booted successfully/);
  });
});
