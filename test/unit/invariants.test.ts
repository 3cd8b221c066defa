import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SimEvent } from '../../sim/fleet/events.ts';
import { ATTENTION_KEY, FLUO_CORDON_KEY, RUN_MARK_KEY, findViolations, type NodeSample } from '../support/invariants.ts';

const T0 = Date.parse('2026-12-04T12:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const ev = (s: number, node: string, kind: SimEvent['kind'], extra: Record<string, unknown> = {}): SimEvent => ({ ts: at(s), node, kind, from: null, to: null, ...extra });
const reboot = (node: string, from: number, to: number, version = '1.0.0', back = version) => [ev(from, node, 'reboot-start', { version }), ev(from + 1, node, 'down'), ev(to, node, 'up', { version: back })];
const sample = (s: number, node: string, unschedulable: boolean, annotations: Record<string, string> = {}): NodeSample => ({ atMs: T0 + s * 1000, node, unschedulable, annotations });
const mark = { [RUN_MARK_KEY]: 'laptop-1' };
const byOrder = (events: SimEvent[]) => [...events].sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
const check = (events: SimEvent[], timeline: NodeSample[] = [], extra: { maxUnavailable?: number; failureDomains?: Record<string, string>; sinceMs?: number } = {}) =>
  findViolations({ events: byOrder(events), timeline, endMs: T0 + 1000_000, ...extra });

describe('fleet safety invariants', () => {
  it('reboots one after the other pass; overlapping reboots are two nodes out of service', () => {
    assert.deepEqual(check([...reboot('a', 0, 10), ...reboot('b', 10, 20)]), []);
    const [v, ...rest] = check([...reboot('a', 0, 10), ...reboot('b', 5, 20)]);
    assert.deepEqual(rest, []);
    assert.equal(v?.rule, 'out-of-service');
    assert.deepEqual(v?.nodes, ['a', 'b']);
    assert.equal(v?.atMs, T0 + 5000);
  });

  it('a node that never came back stays out of service until the end', () => {
    const events = [ev(0, 'a', 'reboot-start', { version: '1' }), ev(1, 'a', 'down'), ...reboot('b', 100, 110)];
    const [v] = check(events);
    assert.equal(v?.rule, 'out-of-service');
    assert.match(v?.detail ?? '', /a down and not back/);
  });

  it('a node cordoned by a run (or left needing attention) counts as out of service; an unmarked cordon does not', () => {
    const cordonedByRun = [sample(0, 'a', false), sample(1, 'a', true, mark), sample(30, 'a', false)];
    assert.equal(check(reboot('b', 10, 20), cordonedByRun)[0]?.rule, 'out-of-service');
    const attention = [sample(0, 'a', false), sample(1, 'a', true, { [ATTENTION_KEY]: 'drain timed out' })];
    assert.equal(check(reboot('b', 10, 20), attention)[0]?.rule, 'out-of-service');
    const operator = [sample(0, 'a', true)];
    assert.deepEqual(check(reboot('b', 10, 20), operator), []);
  });

  it("a node FLUO's agent cordoned for its own reboot counts as out of service", () => {
    const fluo = [sample(0, 'a', false), sample(1, 'a', true, { [FLUO_CORDON_KEY]: 'true' }), sample(30, 'a', false, { [FLUO_CORDON_KEY]: 'false' })];
    const [v] = check(reboot('b', 10, 20), fluo);
    assert.equal(v?.rule, 'out-of-service');
    assert.match(v?.detail ?? '', /a cordoned by FLUO's agent/);
    assert.deepEqual(check(reboot('b', 30, 40), fluo), [], 'after the agent uncordoned, another node may go');
  });

  it('K = max-unavailable nodes at once, and never two of one failure domain', () => {
    const three = [...reboot('a', 0, 10), ...reboot('b', 2, 10), ...reboot('c', 4, 10)];
    assert.deepEqual(check(three.slice(0, 6), [], { maxUnavailable: 2 }), []);
    assert.equal(check(three, [], { maxUnavailable: 2 })[0]?.nodes.length, 3);
    assert.deepEqual(check(three, [], { maxUnavailable: 3, failureDomains: { a: 'z1', b: 'z2', c: 'z3' } }), []);
    const [crowded] = check(three, [], { maxUnavailable: 3, failureDomains: { a: 'z1', b: 'z2', c: 'z1' } });
    assert.equal(crowded?.rule, 'out-of-service');
    assert.match(crowded?.detail ?? '', /a and c are both in failure domain z1 \(K=3\)/);
    assert.deepEqual(check([...reboot('a', 0, 10), ...reboot('c', 10, 20)], [], { maxUnavailable: 2, failureDomains: { a: 'z1', c: 'z1' } }), [], 'one after the other in one domain is fine');
  });

  it('a version flip-flop over reboots is reported; a caught rollback that stays on the old version is not', () => {
    const flip = [...reboot('a', 0, 5, '1.0', '2.0'), ...reboot('a', 50, 55, '2.0', '1.0')];
    const [v] = check(flip);
    assert.equal(v?.rule, 'flip-flop');
    assert.match(v?.detail ?? '', /1\.0 → 2\.0 → 1\.0/);
    assert.deepEqual(check([...reboot('a', 0, 5, '1.0', '1.0'), ...reboot('a', 50, 55, '1.0', '2.0')]), []);
  });

  it("going back to a version is no flip-flop when an operator's cgpt chose it (a manual rollback); the boot after it is judged again", () => {
    const rolledBack = [...reboot('a', 0, 5, '1.0', '2.0'), ev(30, 'a', 'boot-order', { from: '2.0', to: '1.0', by: 'cgpt' }), ...reboot('a', 50, 55, '2.0', '1.0')];
    assert.deepEqual(check(rolledBack), []);
    const [v] = check([...rolledBack, ...reboot('a', 80, 85, '1.0', '2.0'), ...reboot('a', 90, 95, '2.0', '1.0')]);
    assert.equal(v?.rule, 'flip-flop');
    assert.match(v?.detail ?? '', /1\.0 → 2\.0 → 1\.0/);
  });

  it('a node left cordoned needs a needs-attention record or a run mark; an operator cordon left alone is fine', () => {
    const [v] = check([], [sample(0, 'a', false), sample(3, 'a', true)]);
    assert.equal(v?.rule, 'cordoned-without-record');
    assert.deepEqual(v?.nodes, ['a']);
    assert.deepEqual(check([], [sample(0, 'a', false), sample(3, 'a', true, { [ATTENTION_KEY]: 'rolled back' })]), []);
    assert.deepEqual(check([], [sample(0, 'a', true), sample(3, 'a', false), sample(9, 'a', true)]).map((x) => x.rule), ['cordoned-without-record']);
    assert.deepEqual(check([], [sample(0, 'a', true), sample(3, 'a', true, mark), sample(9, 'a', true)]), [], 'a run keeps the cordon it found');
  });

  it('sinceMs reports only what began in the window', () => {
    const old = [...reboot('a', 0, 10), ...reboot('b', 5, 20)];
    assert.deepEqual(check(old, [], { sinceMs: T0 + 30_000 }), []);
    assert.equal(check([...old, ...reboot('a', 40, 50), ...reboot('b', 45, 60)], [], { sinceMs: T0 + 30_000 }).length, 1);
  });
});
