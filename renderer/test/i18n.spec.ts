import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, test } from 'vitest';
import { Blocker, NodePhase, PodAction, RolloutState, errorKinds, pipelineSteps } from '../../app/api/index.ts';
import { de } from '../src/lib/i18n/de.ts';
import { en } from '../src/lib/i18n/en.ts';
import { placeholders, translate } from '../src/lib/i18n/translate.ts';
import { attentionReasons, updateStateKeys } from '../src/lib/model/fleet.ts';
import { progressionKeys } from '../src/lib/model/progression.ts';

// Not `new URL('../src/', import.meta.url)`: Vite rewrites that pattern into an asset URL.
const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(svelte|ts)$/.test(name) ? [p] : [];
  });
}

test('English and German have exactly the same keys', () => {
  assert.deepEqual(Object.keys(de).sort(), Object.keys(en).sort());
});

test('every German message asks for the same placeholders as the English one', () => {
  for (const key of Object.keys(en) as Array<keyof typeof en>) {
    assert.deepEqual(placeholders(de[key]), placeholders(en[key]), `placeholders of ${key}`);
  }
});

test('no German message is left empty or untranslated where English is a sentence', () => {
  const sameAllowed = /^(stage\.UPDATE_STATUS_|nav\.rollout|rollout\.(title|rollout)|header\.cluster|detail\.(download|bytes|rate|kernel|kubelet|updateEngine|unit)|col\.download)/;
  for (const key of Object.keys(en) as Array<keyof typeof en>) {
    assert.ok(de[key].trim().length > 0, `${key} is empty`);
    if (en[key].split(' ').length >= 4 && !sameAllowed.test(key)) assert.notStrictEqual(de[key], en[key], `${key} is not translated`);
  }
});

test('every literal t(…) key used in the renderer exists', () => {
  const used = new Set<string>();
  for (const file of sources(srcDir)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\bt\('([\w.-]+)'/g)) used.add(m[1] ?? '');
    for (const m of readFileSync(file, 'utf8').matchAll(/'((?:plan|notify|col)\.[\w-]+)'/g)) used.add(m[1] ?? '');
  }
  assert.ok(used.size > 200, `found only ${used.size} keys; the scan is broken`);
  // A plural message (tn) is a base with one key per form: `notify.nodes` → `notify.nodes.one`, `notify.nodes.other`.
  const missing = [...used].filter((k) => !(k in en) && !(`${k}.other` in en));
  assert.deepEqual(missing, []);
});

test('keys built from API values exist for every value the API can send', () => {
  const families: Array<[string, readonly string[]]> = [
    ['error', errorKinds],
    ['step', pipelineSteps],
    ['phase', NodePhase.options],
    ['runStatus', RolloutState.shape.status.options],
    ['state', updateStateKeys],
    ['stage', progressionKeys],
    ['stageHint', progressionKeys],
    ['blocker', Blocker.shape.kind.options],
    ['podAction', PodAction.options],
  ];
  for (const [prefix, values] of families) {
    for (const v of values) assert.ok(`${prefix}.${v}` in en, `missing ${prefix}.${v}`);
  }
});

test('attention reasons all have a label and a hint', () => {
  const summary = {
    name: 'n',
    roles: [],
    addresses: { internalIP: null, externalIP: null, hostname: null },
    osImage: 'Flatcar',
    distribution: 'flatcar' as const,
    flatcarVersion: '1.0.0',
    channel: 'stable' as const,
    kernelVersion: '',
    kubeletVersion: '',
    ready: 'False' as const,
    lastHeartbeat: null,
    unschedulable: true,
    taints: [],
    bootID: '',
    fluo: null,
    flatdeck: { instance: 'i', step: 'drain', since: '', cordonedByUs: true, attention: null },
    stagedVersion: null,
    machineDeployment: null,
    createdAt: null,
  };
  const reasons = attentionReasons({ name: 'n', summary, live: null, run: null, runId: null, runStatus: null, lastStep: null });
  assert.deepEqual(reasons, ['not-ready', 'cordoned', 'left-behind']);
  for (const r of ['not-ready', 'cordoned', 'live-error', 'update-error', 'reboot-pending', 'run-failed', 'left-behind']) {
    assert.ok(`attention.${r}` in en && `attentionHint.${r}` in en, r);
  }
});

test('translate fills placeholders and keeps unknown ones visible', () => {
  assert.strictEqual(translate(en, 'nodes.count', { shown: 3, total: 5 }), '3 of 5 nodes');
  assert.strictEqual(translate(de, 'nodes.count', { shown: 3, total: 5 }), '3 von 5 Knoten');
  assert.strictEqual(translate(en, 'nodes.count', { shown: 3 }), '3 of {total} nodes');
});
