// The simulated disk's USR-A/USR-B partitions: GRUB's choice, flatcar-postinst, flatcar-setgoodroot and the
// manual rollback of manual-rollbacks.md (cgpt prioritize), and `cgpt show` as that page prints it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderCgptShow, UsrSlots } from '../../sim/fleet/usr-slots.ts';

const attrs = (slots: UsrSlots) => renderCgptShow(slots).split('\n').filter((l) => l.includes('Attr: priority')).map((l) => l.trim());

describe('USR partitions', () => {
  it('a fresh machine boots USR-A and has nothing on USR-B (the table of manual-rollbacks.md)', () => {
    const slots = new UsrSlots('3510.2.8', null);
    assert.deepEqual(attrs(slots), ['Attr: priority=2 tries=0 successful=1', 'Attr: priority=1 tries=0 successful=0']);
    assert.equal(slots.otherPartition().version, null);
    assert.match(renderCgptShow(slots), /^ {6}270336 {5}2097152 {7}3 {2}Label: "USR-A"\n {34}Type: Alias for flatcar-rootfs\n {34}UUID: 7130C94A-213A-4E5A-8E26-6CCE9662F132\n/m);
  });

  it('an installed update boots once; unmarked, the next boot falls back; marked, it stays', () => {
    const slots = new UsrSlots('4459.2.1', null);
    slots.install('4757.2.3');
    assert.deepEqual(attrs(slots), ['Attr: priority=1 tries=0 successful=1', 'Attr: priority=2 tries=1 successful=0']);
    assert.equal(slots.boot().version, '4757.2.3');
    assert.deepEqual(attrs(slots), ['Attr: priority=1 tries=0 successful=1', 'Attr: priority=2 tries=0 successful=0']);
    assert.equal(slots.boot().version, '4459.2.1', 'never marked successful: GRUB takes the other partition');

    const marked = new UsrSlots('4459.2.1', null);
    marked.install('4757.2.3');
    marked.boot();
    marked.markBootedGood();
    assert.deepEqual(attrs(marked), ['Attr: priority=1 tries=0 successful=1', 'Attr: priority=2 tries=0 successful=1']);
    assert.equal(marked.boot().version, '4757.2.3');
  });

  it('cgpt prioritize on the other partition makes it boot next (the manual rollback), and back again', () => {
    const slots = new UsrSlots('4757.2.0', '4593.2.0');
    assert.equal(slots.bootedPartition().label, 'USR-B');
    slots.prioritize(3);
    assert.deepEqual(attrs(slots), ['Attr: priority=2 tries=0 successful=1', 'Attr: priority=1 tries=0 successful=1']);
    assert.equal(slots.nextBoot()?.version, '4593.2.0');
    assert.equal(slots.boot().version, '4593.2.0');
    assert.equal(slots.otherPartition().version, '4757.2.0');
  });

  it('flatcar-setgoodroot sets a staged update aside: the booted partition boots next', () => {
    const slots = new UsrSlots('4459.2.1', '3510.2.8');
    slots.install('4757.2.3');
    assert.equal(slots.nextBoot()?.version, '4757.2.3');
    slots.markBootedGood();
    assert.equal(slots.nextBoot()?.version, '4459.2.1');
  });
});
