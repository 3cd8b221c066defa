// The auto-update decisions without a cluster: which commands a node needs, what a toggle plans with each kind
// of FLUO installation, which contradictions become warnings, and the MachineDeployment patches.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MachineDeploymentSummary } from '../../app/api/auto-update.ts';
import type { NodeSummary } from '../../app/api/nodes.ts';
import { fluoKeys } from '../../app/cluster/fluo.ts';
import { flatdeckFluoObjects, fluoWindow, MANAGED_BY_LABEL, type FluoInstallState } from '../../app/cluster/fluo-install.ts';
import { parseWindowSpec } from '../../app/pipeline/reboot-window.ts';
import { summarizeNode } from '../../app/cluster/node-summary.ts';
import { templatePatch } from '../../app/cluster/machine-deployment-edit.ts';
import { toShellLine } from '../../app/flatcar/command.ts';
import { systemctl } from '../../app/flatcar/systemctl.ts';
import { withServerDisabled, writeUpdateConf } from '../../app/flatcar/update-conf.ts';
import { NODE_ACTIONS, nodeActions, type NodeUnits } from '../../app/autoupdate/node-units.ts';
import { describeStep, overallState, planToggle, rebootsWithoutDrain, statusWarnings, type NodeReading } from '../../app/autoupdate/plan.ts';

const masked: NodeUnits = { updateEngine: 'masked', updateEngineActive: false, locksmithd: 'masked', locksmithdActive: false, group: 'stable', server: null, serverDisabledInEtc: false, etcUpdateConf: 'GROUP=stable\n', quotedOsRelease: true };
const fluoReady: NodeUnits = { ...masked, updateEngine: 'enabled', updateEngineActive: true };
const locksmithRunning: NodeUnits = { ...fluoReady, locksmithd: 'enabled', locksmithdActive: true };
/** As the Flatcar image ships: both units started by vendor links (`is-enabled` says disabled), update.conf empty. */
const stock: NodeUnits = { ...masked, updateEngine: 'vendor-enabled', updateEngineActive: true, locksmithd: 'vendor-enabled', locksmithdActive: true, group: 'stable', etcUpdateConf: '' };

function flatcarNode(name: string, annotations: Record<string, string> = {}): NodeSummary {
  return summarizeNode({
    metadata: { name, annotations, labels: {} },
    status: { nodeInfo: { osImage: 'Flatcar Container Linux by Kinvolk 4757.2.0 (Oklo)' }, addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] },
  } as never);
}

const reading = (name: string, units: NodeUnits | null, annotations: Record<string, string> = {}): NodeReading => ({
  node: flatcarNode(name, annotations),
  units,
  error: units ? null : 'connect ECONNREFUSED',
});

const noFluo: FluoInstallState = { present: false, namespace: null, version: null, managedBy: null, agentReady: 0, agentDesired: 2 };
const ourFluo: FluoInstallState = { present: true, namespace: 'reboot-coordinator', version: 'v0.10.0-rc2', managedBy: 'flatdeck', agentReady: 2, agentDesired: 2 };
const kkpFluo: FluoInstallState = { present: true, namespace: 'kube-system', version: 'v0.9.0', managedBy: 'kubermatic', agentReady: 0, agentDesired: 2 };

describe('node actions', () => {
  it('on: unmask and start update-engine, stop and mask locksmithd, in that order; never a needless enable', () => {
    assert.deepEqual(nodeActions(masked, true, 'mask'), ['unmask update-engine', 'start update-engine']);
    assert.deepEqual(nodeActions(stock, true, 'mask'), ['stop locksmithd', 'mask locksmithd'], 'the image already starts update-engine at boot');
    assert.deepEqual(nodeActions({ ...stock, locksmithd: 'masked-runtime', locksmithdActive: false }, true, 'mask'), ['mask locksmithd'], 'a hold that ends at the next boot is not a mask');
    assert.deepEqual(nodeActions(locksmithRunning, true, 'mask'), ['stop locksmithd', 'mask locksmithd']);
    assert.deepEqual(nodeActions({ ...masked, serverDisabledInEtc: true }, true, 'mask')[0], 'remove SERVER=disabled');
  });
  it('off: stop + mask by default; SERVER=disabled keeps update-engine running', () => {
    assert.deepEqual(nodeActions(fluoReady, false, 'mask'), ['stop update-engine', 'mask update-engine']);
    assert.deepEqual(nodeActions(masked, false, 'server-disabled'), ['set SERVER=disabled', 'unmask update-engine', 'start update-engine']);
    assert.deepEqual(nodeActions(stock, false, 'server-disabled'), ['set SERVER=disabled'], 'a stock node only needs the line');
    assert.deepEqual(nodeActions(stock, false, 'mask'), ['stop update-engine', 'mask update-engine', 'stop locksmithd', 'mask locksmithd'], 'locksmithd would fail and restart every 10 s without update-engine');
  });
  it('is idempotent: a node already in the wanted state needs nothing', () => {
    assert.deepEqual(nodeActions(fluoReady, true, 'mask'), []);
    assert.deepEqual(nodeActions(masked, false, 'mask'), []);
    assert.deepEqual(nodeActions({ ...fluoReady, serverDisabledInEtc: true }, false, 'server-disabled'), []);
  });
  it('every action is a sudo command built from fixed words; update.conf is rewritten atomically with only SERVER changed', () => {
    const { unit, action } = NODE_ACTIONS['mask locksmithd'];
    assert.equal(toShellLine(systemctl[action](unit)), 'sudo -n systemctl mask locksmithd.service');
    assert.deepEqual(writeUpdateConf().map(toShellLine), ['sudo -n tee /etc/flatcar/update.conf.flatdeck-new', 'sudo -n mv -f /etc/flatcar/update.conf.flatdeck-new /etc/flatcar/update.conf']);
    assert.equal(withServerDisabled(null, true), 'SERVER=disabled\n');
    assert.equal(withServerDisabled('# mine\nGROUP=beta\nSERVER=https://updates.example/\n', true), '# mine\nGROUP=beta\nSERVER=https://updates.example/\nSERVER=disabled\n', 'the last SERVER wins; the operator\'s own URL is kept for later');
    assert.equal(withServerDisabled('GROUP=beta\nSERVER="disabled"\n', false), 'GROUP=beta\n');
    assert.equal(withServerDisabled('SERVER=https://updates.example/\n', false), 'SERVER=https://updates.example/\n', "an operator's own server stays");
    assert.equal(withServerDisabled('SERVER=disabled\n', false), '');
  });
});

describe('planToggle', () => {
  it('on without FLUO: apply it, then every node; unreachable nodes are listed as retries', () => {
    const { steps, notes } = planToggle({ enable: true, mode: 'mask', window: parseWindowSpec('Thu 04:00,1h'), fluo: noFluo, readings: [reading('a', masked), reading('b', null)] });
    assert.deepEqual(steps.map((s) => describeStep(s).action), [
      'apply FLUO v0.10.0-rc2 (server-side apply, field manager flatdeck) with reboot window Thu 04:00 for 1h',
      'unmask update-engine',
      'start update-engine',
      'retry: unreachable now (connect ECONNREFUSED)',
    ]);
    assert.match(notes.map((n) => n.message).join('\n'), /Not reachable over SSH now: b/);
    assert.deepEqual(notes.find((n) => n.code === 'unreachable')?.params, { nodes: 'b' });
  });
  it('with Kubermatic FLUO: installs and removes nothing, pauses reboots on off and unpauses on on', () => {
    const off = planToggle({ enable: false, mode: 'mask', window: null, fluo: kkpFluo, readings: [reading('a', fluoReady)] });
    assert.equal(off.steps.some((s) => s.kind === 'fluo-remove' || s.kind === 'fluo-apply'), false);
    assert.deepEqual(off.steps[0], { kind: 'reboot-paused', node: 'a', paused: true });
    assert.match(off.notes[0]!.message, /managed by kubermatic \(kube-system, v0\.9\.0\) and is not removed/);
    assert.deepEqual([off.notes[0]!.code, off.notes[0]!.params], ['fluoForeignKept', { managedBy: 'kubermatic', where: 'kube-system, v0.9.0' }], 'and as a code the UI words');
    const on = planToggle({ enable: true, mode: 'mask', window: null, fluo: kkpFluo, readings: [reading('a', masked, { [fluoKeys.rebootPaused]: 'true' })] });
    assert.equal(on.steps.some((s) => s.kind === 'fluo-apply'), false);
    assert.deepEqual(on.steps[0], { kind: 'reboot-paused', node: 'a', paused: false });
    assert.match(on.notes[0]!.message, /flatdeck installs nothing/);
  });
  it('off with flatdeck FLUO removes it first; a second off plans nothing', () => {
    const off = planToggle({ enable: false, mode: 'mask', window: null, fluo: ourFluo, readings: [reading('a', fluoReady)] });
    assert.deepEqual(off.steps.map((s) => s.kind), ['fluo-remove', 'node-action', 'node-action']);
    const again = planToggle({ enable: false, mode: 'mask', window: null, fluo: noFluo, readings: [reading('a', masked)] });
    assert.deepEqual(again.steps, []);
    assert.match(again.notes.map((n) => n.message).join(), /already off/);
  });
});

describe('status', () => {
  it('warns about contradictions: FLUO with masked update-engine, locksmithd next to FLUO, v0.9.0 on quoted os-release', () => {
    const w = statusWarnings(kkpFluo, [reading('a', masked), reading('b', locksmithRunning)], [], []).map((x) => x.message);
    assert.ok(w.some((x) => x === 'FLUO is installed but update-engine is masked on a: those nodes never get updates.'), w.join('\n'));
    assert.ok(w.some((x) => /^locksmithd and FLUO are both active on b:/.test(x)), w.join('\n'));
    assert.ok(w.some((x) => /^FLUO v0\.9\.0 \(kubermatic\) crash-loops on nodes with a quoted \/etc\/os-release: a, b;/.test(x)), w.join('\n'));
    assert.ok(w.some((x) => x === 'The FLUO agent is ready on 0 of 2 Flatcar nodes.'));
    assert.deepEqual(statusWarnings(ourFluo, [reading('a', fluoReady)], [], []), []);
  });
  it('names the nodes flatdeck holds FLUO off (reboot-paused by a run, or left so by a flatdeck that stopped mid-run)', () => {
    const held = { [fluoKeys.rebootPaused]: 'true', 'flatdeck.io/fluo-held-by': 'laptop-7/abc' };
    const notes = statusWarnings(ourFluo, [reading('a', fluoReady, held), reading('b', fluoReady), reading('c', fluoReady, held)], [], []);
    const w = notes.map((x) => x.message);
    assert.equal(w.length, 1, w.join('\n'));
    assert.deepEqual(notes[0]?.params, { nodes: 'a (by laptop-7/abc), c (by laptop-7/abc)', key: 'flatdeck.io/fluo-held-by' }, 'the UI words it from the code and these');
    assert.equal(notes[0]?.code, 'fluoHeldBy');
    assert.match(w[0]!, /^flatdeck has paused FLUO's reboots on a \(by laptop-7\/abc\), c \(by laptop-7\/abc\) \(flatdeck\.io\/fluo-held-by\)/);
    assert.match(w[0]!, /until the next run takes the lock/);
  });
  it('flags Ubuntu MachineDeployments and nodes as unsupported', () => {
    const md: MachineDeploymentSummary = { name: 'old', namespace: 'kube-system', operatingSystem: 'ubuntu', disableAutoUpdate: false, replicas: 2, updatedReplicas: 2, readyReplicas: 2, nodes: ['u1', 'u2'] };
    const w = statusWarnings(noFluo, [], [md], ['u1', 'u2', 'u3']).map((x) => x.message);
    assert.deepEqual(w, [
      'MachineDeployment kube-system/old runs Ubuntu, which is no longer supported for worker nodes: migrate it to Flatcar (replaces its 2 node(s)).',
      'Ubuntu worker nodes are no longer supported: u3.',
    ]);
  });
  it('names the nodes that reboot without a drain when an update arrives, with both ways out', () => {
    assert.equal(rebootsWithoutDrain([reading('k', masked), reading('f', fluoReady)]), null);
    const danger = rebootsWithoutDrain([reading('s1', stock), reading('k', masked), reading('s2', stock), reading('off', { ...stock, server: 'disabled' }), reading('gone', null)]);
    assert.deepEqual(danger?.nodes, ['s1', 's2']);
    assert.match(danger?.message ?? '', /^2 nodes reboot without a drain when an update arrives \(update-engine and locksmithd running\): s1, s2$/);
    assert.deepEqual(danger?.remedies.map((r) => r.enable), [true, false]);
    assert.match(rebootsWithoutDrain([reading('s1', stock)])?.message ?? '', /^1 node reboots without a drain/);
  });
  it('on / off / mixed', () => {
    assert.equal(overallState(ourFluo, [reading('a', fluoReady)]), 'on');
    assert.equal(overallState(ourFluo, [reading('a', masked)]), 'mixed');
    assert.equal(overallState(noFluo, [reading('a', masked)]), 'off');
    assert.equal(overallState(kkpFluo, [reading('a', masked, { [fluoKeys.rebootPaused]: 'true' })]), 'off');
  });
});

describe('FLUO manifests', () => {
  it('every shipped object is labelled managed-by flatdeck and pinned to v0.10.0-rc2; the window goes into the operator env', () => {
    const objects = flatdeckFluoObjects(parseWindowSpec('Sat 02:00+4h'));
    assert.equal(objects.length, 11);
    for (const o of objects) assert.equal(o.metadata?.labels?.[MANAGED_BY_LABEL], 'flatdeck', `${o.kind}/${o.metadata?.name}`);
    const text = JSON.stringify(objects);
    assert.doesNotMatch(text, /v0\.9\.0/);
    const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: { image: string; env: { name: string; value?: string }[] }[] } } } };
    const c = deployment.spec.template.spec.containers[0]!;
    assert.equal(c.image, 'ghcr.io/flatcar/flatcar-linux-update-operator:v0.10.0-rc2');
    assert.deepEqual(c.env.filter((e) => e.value), [
      { name: 'UPDATE_OPERATOR_REBOOT_WINDOW_START', value: 'Sat 02:00' },
      { name: 'UPDATE_OPERATOR_REBOOT_WINDOW_LENGTH', value: '4h' },
    ]);
  });
  it('writes the one reboot-window type in FLUO\'s form, and refuses what FLUO cannot express', () => {
    assert.deepEqual(fluoWindow(parseWindowSpec('Thu 04:00,1h30m')), { start: 'Thu 04:00', length: '1h30m' });
    assert.deepEqual(fluoWindow(parseWindowSpec('23:59+45m')), { start: '23:59', length: '45m' });
    assert.throws(() => fluoWindow(parseWindowSpec('Mon,Tue 22:00+3h')), /one day or on every day, not on Mon,Tue/);
    assert.throws(() => fluoWindow(parseWindowSpec('Thu 04:00+1h@Europe/Berlin')), /in UTC; give the window in UTC, not Europe\/Berlin/);
  });
});

describe('MachineDeployment template patches', () => {
  const md = (operatingSystem: string, operatingSystemSpec: Record<string, unknown>) => ({
    metadata: { name: 'pool', namespace: 'kube-system' },
    spec: { replicas: 3, template: { spec: { providerSpec: { value: { operatingSystem, operatingSystemSpec } } } } },
  });
  it('toggles disableAutoUpdate only when it differs', () => {
    assert.deepEqual(templatePatch(md('flatcar', { disableAutoUpdate: true }), { kind: 'auto-update', enabled: true }), {
      spec: { template: { spec: { providerSpec: { value: { operatingSystemSpec: { disableAutoUpdate: false } } } } } },
    });
    assert.equal(templatePatch(md('flatcar', {}), { kind: 'auto-update', enabled: true }), null);
    assert.throws(() => templatePatch(md('ubuntu', {}), { kind: 'auto-update', enabled: false }), /auto-update applies to Flatcar only/);
  });
  it('migrates Ubuntu to Flatcar with auto-update on and ignition, clearing the Ubuntu keys', () => {
    assert.deepEqual(templatePatch(md('ubuntu', { distUpgradeOnBoot: false }), { kind: 'migrate-flatcar' }), {
      spec: { template: { spec: { providerSpec: { value: { operatingSystem: 'flatcar', operatingSystemSpec: { distUpgradeOnBoot: null, disableAutoUpdate: false, provisioningUtility: 'ignition' } } } } } },
    });
    assert.equal(templatePatch(md('flatcar', {}), { kind: 'migrate-flatcar' }), null);
  });
});
