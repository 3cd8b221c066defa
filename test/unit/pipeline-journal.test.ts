import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FileJournal, unfinishedNodes, type JournalEntry, type NodeRecord } from '../../app/pipeline/journal.ts';

const dir = mkdtempSync(join(tmpdir(), 'flatdeck-journal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const record = (node: string, extra: Partial<NodeRecord> = {}): NodeRecord => ({
  node, phase: 'active', step: 'drain', fromVersion: '4459.2.1', toVersion: '4757.2.3', bootIdBefore: null, rebootIssuedAt: null, cordonedByUs: true, ueOriginal: 'masked,inactive', fluoPausedBefore: 'absent', ...extra,
});
const entry = (runId: string, rec: NodeRecord): JournalEntry => ({ v: 1, at: '2026-12-04T18:00:00.000Z', runId, cluster: 'kubernetes-admin@kubernetes', holder: 'op@laptop#1', type: 'node', record: rec });

describe('the run journal', () => {
  it('keeps two clusters apart even when their contexts share a name', () => {
    const a = new FileJournal(dir, 'cluster-a');
    const b = new FileJournal(dir, 'cluster-b');
    a.append(entry('run-a', record('worker-1')));
    b.append(entry('run-b', record('worker-1')));
    assert.deepEqual(a.runIds(), ['run-a']);
    assert.deepEqual(b.runIds(), ['run-b']);
    assert.deepEqual(b.entries('run-a'), []);
  });

  it('still reads a run written before runs were kept per cluster, and continues it in the cluster\'s folder', () => {
    new FileJournal(dir).append(entry('run-old', record('worker-2')));
    const scoped = new FileJournal(dir, 'cluster-c');
    assert.ok(scoped.runIds().includes('run-old'));
    scoped.append(entry('run-old', record('worker-2', { phase: 'done', step: null })));
    assert.deepEqual(scoped.entries('run-old').map((e) => e.record?.phase), ['active', 'done']);
  });

  it('a run that got no further than pre-flight is not unfinished; one that changed a node is', () => {
    assert.deepEqual(unfinishedNodes([entry('r', record('worker-1', { phase: 'waiting', step: 'preflight', cordonedByUs: false, ueOriginal: null }))]), []);
    assert.deepEqual(unfinishedNodes([entry('r', record('worker-1', { phase: 'downloading', step: 'update' }))]).map((r) => r.node), ['worker-1']);
    assert.deepEqual(unfinishedNodes([entry('r', record('worker-1', { phase: 'needs-attention', step: null }))]).map((r) => r.node), ['worker-1']);
  });
});
