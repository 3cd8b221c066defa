import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeSummary } from '../../app/api/nodes.ts';
import { fluoStatusWord } from '../../app/cluster/fluo.ts';
import { MachineOwnership, machineRefOf, summarizeMachineDeployment } from '../../app/cluster/machine-deployments.ts';
import { identifyOs, summarizeNode, type NodeObject } from '../../app/cluster/node-summary.ts';

/** A node as a kubelet on Flatcar 3033.2.0 (old os-release, codename) reports it, trimmed to what matters. */
function flatcarNode(name: string, osImage: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): NodeObject {
  return {
    metadata: {
      name,
      resourceVersion: '4711',
      creationTimestamp: '2026-11-20T08:00:00Z',
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'node-role.kubernetes.io/worker': '',
        'x-kubernetes.io/distribution': 'flatcar',
        ...extra.labels,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', ...extra.annotations },
    },
    spec: { podCIDR: '10.244.1.0/24', providerID: 'openstack:///5e0f', taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }], unschedulable: true } as NodeObject['spec'],
    status: {
      addresses: [
        { type: 'InternalIP', address: '10.0.0.11' },
        { type: 'ExternalIP', address: '203.0.113.11' },
        { type: 'Hostname', address: name },
      ],
      conditions: [
        { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: '2026-11-26T10:00:00Z' },
        { type: 'Ready', status: 'True', lastHeartbeatTime: '2026-11-26T10:00:05Z' },
      ],
      nodeInfo: {
        bootID: '8181f9d7-4fb1-4e32-9102-b1821a4359f0',
        kernelVersion: '5.10.77-flatcar',
        kubeletVersion: 'v1.33.4',
        osImage,
      },
    },
  };
}

describe('osImage → distribution, Flatcar version and channel', () => {
  it('reads the old format with the (Oklo) codename', () => {
    assert.deepEqual(identifyOs('Flatcar Container Linux by Kinvolk 3033.2.0 (Oklo)'), { distribution: 'flatcar', flatcarVersion: '3033.2.0', channel: 'stable' });
    assert.deepEqual(identifyOs('Flatcar Container Linux by Kinvolk 2671.0.0 (Oklo)'), { distribution: 'flatcar', flatcarVersion: '2671.0.0', channel: 'alpha' });
  });

  it('reads the current format without codename', () => {
    assert.deepEqual(identifyOs('Flatcar Container Linux by Kinvolk 4757.2.0'), { distribution: 'flatcar', flatcarVersion: '4757.2.0', channel: 'stable' });
    assert.deepEqual(identifyOs('Flatcar Container Linux by Kinvolk 4628.1.1'), { distribution: 'flatcar', flatcarVersion: '4628.1.1', channel: 'beta' });
  });

  it('reads LTS from MINOR 3 and dev builds with +build', () => {
    assert.deepEqual(identifyOs('Flatcar Container Linux by Kinvolk 3510.3.5 (LTS 2023)'), { distribution: 'flatcar', flatcarVersion: '3510.3.5', channel: 'lts' });
    assert.equal(identifyOs('Flatcar Container Linux by Kinvolk 4799.0.0+nightly-20260821-2100').flatcarVersion, '4799.0.0+nightly-20260821-2100');
  });

  it('falls back to the LTS codename and to FLUO\'s version label', () => {
    assert.deepEqual(identifyOs('Flatcar Container Linux (LTS 2024)'), { distribution: 'flatcar', flatcarVersion: null, channel: 'lts' });
    assert.deepEqual(identifyOs('Flatcar Container Linux by Kinvolk', '3815.2.5'), { distribution: 'flatcar', flatcarVersion: '3815.2.5', channel: 'stable' });
  });

  it('does not take Ubuntu\'s "LTS" for a Flatcar channel', () => {
    assert.deepEqual(identifyOs('Ubuntu 22.04.4 LTS'), { distribution: 'ubuntu', flatcarVersion: null, channel: null });
    assert.deepEqual(identifyOs('Debian GNU/Linux 12 (bookworm)'), { distribution: 'other', flatcarVersion: null, channel: null });
    assert.deepEqual(identifyOs(''), { distribution: 'other', flatcarVersion: null, channel: null });
  });
});

describe('Node object → NodeSummary', () => {
  it('derives every field from a cordoned Flatcar worker', () => {
    const s = summarizeNode(flatcarNode('worker-1', 'Flatcar Container Linux by Kinvolk 3033.2.0 (Oklo)'));
    assert.deepEqual(NodeSummary.parse(s), s, 'the summary satisfies the API schema');
    assert.equal(s.name, 'worker-1');
    assert.deepEqual(s.roles, ['worker']);
    assert.deepEqual(s.addresses, { internalIP: '10.0.0.11', externalIP: '203.0.113.11', hostname: 'worker-1' });
    assert.equal(s.distribution, 'flatcar');
    assert.equal(s.flatcarVersion, '3033.2.0');
    assert.equal(s.channel, 'stable');
    assert.equal(s.kubeletVersion, 'v1.33.4');
    assert.equal(s.kernelVersion, '5.10.77-flatcar');
    assert.equal(s.ready, 'True');
    assert.equal(s.lastHeartbeat, '2026-11-26T10:00:05Z');
    assert.equal(s.unschedulable, true);
    assert.deepEqual(s.taints, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]);
    assert.equal(s.bootID, '8181f9d7-4fb1-4e32-9102-b1821a4359f0');
    assert.equal(s.fluo, null);
    assert.equal(s.flatdeck, null);
    assert.equal(s.machineDeployment, null);
    assert.equal(s.createdAt, '2026-11-20T08:00:00Z');
  });

  it('accepts Date timestamps (client-node deserialized objects) and missing status', () => {
    const node = flatcarNode('w', 'Flatcar Container Linux by Kinvolk 4757.2.0');
    node.status!.conditions = [{ type: 'Ready', status: 'Unknown', lastHeartbeatTime: new Date('2026-11-26T10:00:05Z') }];
    node.metadata!.creationTimestamp = new Date('2026-11-20T08:00:00Z');
    const s = summarizeNode(node);
    assert.equal(s.lastHeartbeat, '2026-11-26T10:00:05.000Z');
    assert.equal(s.ready, 'Unknown');
    const bare = summarizeNode({ metadata: { name: 'new' } });
    assert.equal(bare.ready, 'Unknown');
    assert.equal(bare.distribution, 'other');
    assert.deepEqual(NodeSummary.parse(bare), bare);
  });

  it('reads roles from node-role labels and the legacy kubernetes.io/role', () => {
    const node = flatcarNode('cp', 'Ubuntu 22.04.4 LTS', {
      labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/master': '', 'kubernetes.io/role': 'ingress' },
    });
    assert.deepEqual(summarizeNode(node).roles, ['control-plane', 'ingress', 'master', 'worker']);
  });

  it('reads FLUO annotations and labels (agent waiting for the operator to allow a reboot)', () => {
    const p = 'flatcar-linux-update.v1.flatcar-linux.net/';
    const node = flatcarNode('w2', 'Flatcar Container Linux by Kinvolk 4757.2.0', {
      annotations: {
        [`${p}status`]: 'UPDATE_STATUS_UPDATED_NEED_REBOOT',
        [`${p}new-version`]: '4801.2.0',
        [`${p}last-checked-time`]: '1764150000',
        [`${p}reboot-needed`]: 'true',
        [`${p}reboot-in-progress`]: 'false',
        [`${p}reboot-ok`]: 'false',
      },
      labels: { [`${p}reboot-needed`]: 'true', [`${p}before-reboot`]: 'true', [`${p}id`]: 'flatcar', [`${p}version`]: '4757.2.0', [`${p}group`]: 'stable' },
    });
    const fluo = summarizeNode(node).fluo;
    assert.deepEqual(fluo, {
      status: 'UPDATE_STATUS_UPDATED_NEED_REBOOT',
      newVersion: '4801.2.0',
      lastCheckedTime: '1764150000',
      rebootNeeded: true,
      rebootOk: false,
      rebootInProgress: false,
      rebootPaused: false,
      beforeReboot: true,
      afterReboot: false,
      phase: 'UPDATED_NEED_REBOOT',
      heldBy: null,
    });
    assert.equal(fluoStatusWord(fluo!), 'UPDATED_NEED_REBOOT');
    assert.equal(fluoStatusWord({ ...fluo!, rebootInProgress: true }), 'REBOOTING');
    assert.equal(fluoStatusWord({ ...fluo!, beforeReboot: false, rebootNeeded: false, rebootOk: true, afterReboot: true }), 'REBOOTED', 'the agent has not rewritten the stale NEED_REBOOT status yet');
  });

  it("gives FLUO's phase, not its stale status, once the node has rebooted, and who holds FLUO off the node", () => {
    const p = 'flatcar-linux-update.v1.flatcar-linux.net/';
    // the operator's after-reboot step: the node runs the new version, the agent has not rewritten `status` yet
    const rebooted = flatcarNode('w5', 'Flatcar Container Linux by Kinvolk 4801.2.0', {
      annotations: { [`${p}status`]: 'UPDATE_STATUS_UPDATED_NEED_REBOOT', [`${p}reboot-needed`]: 'false', [`${p}reboot-ok`]: 'true', 'flatdeck.io/fluo-held-by': 'laptop-7/abc' },
      labels: { [`${p}after-reboot`]: 'true' },
    });
    const fluo = summarizeNode(rebooted).fluo;
    assert.equal(fluo?.status, 'UPDATE_STATUS_UPDATED_NEED_REBOOT', 'the raw annotation is kept as FLUO wrote it');
    assert.equal(fluo?.phase, 'REBOOTED');
    assert.equal(fluo?.heldBy, 'laptop-7/abc');
    const downloading = flatcarNode('w6', 'Flatcar Container Linux by Kinvolk 4757.2.0', { annotations: { [`${p}status`]: 'UPDATE_STATUS_DOWNLOADING' } });
    assert.equal(summarizeNode(downloading).fluo?.phase, 'DOWNLOADING');
    assert.equal(summarizeNode(downloading).fluo?.heldBy, null);
  });

  it('reads flatdeck.io marks left by a pipeline step', () => {
    const node = flatcarNode('w3', 'Flatcar Container Linux by Kinvolk 4757.2.0', {
      annotations: { 'flatdeck.io/instance': 'laptop-7/abc', 'flatdeck.io/step': 'drain', 'flatdeck.io/since': '2026-11-26T10:01:00Z', 'flatdeck.io/cordoned-by-us': 'true' },
    });
    assert.deepEqual(summarizeNode(node).flatdeck, { instance: 'laptop-7/abc', step: 'drain', since: '2026-11-26T10:01:00Z', cordonedByUs: true, attention: null });
    assert.equal(summarizeNode(node).stagedVersion, null);
  });

  it('says a node left staged by a stopped run boots that version at its next reboot, and why it needs attention', () => {
    const attention = 'boots 4757.2.3 at its next reboot: the update is staged (the run stopped before its reboot)';
    const node = flatcarNode('w4', 'Flatcar Container Linux by Kinvolk 4757.2.0', {
      annotations: { 'flatdeck.io/instance': 'laptop-7/abc', 'flatdeck.io/step': 'update', 'flatdeck.io/needs-attention': attention, 'flatdeck.io/staged-version': '4757.2.3' },
    });
    const s = summarizeNode(node);
    assert.equal(s.stagedVersion, '4757.2.3');
    assert.equal(s.flatdeck?.attention, attention);
    assert.equal(NodeSummary.parse(s).stagedVersion, '4757.2.3');
  });

  it('keeps a handed-back staged update visible without a run mark, and drops it once the node booted it', () => {
    const handedBack = flatcarNode('w5', 'Flatcar Container Linux by Kinvolk 4757.2.0', { annotations: { 'flatdeck.io/staged-version': '4757.2.3' } });
    assert.equal(summarizeNode(handedBack).flatdeck, null);
    assert.equal(summarizeNode(handedBack).stagedVersion, '4757.2.3');
    const booted = flatcarNode('w5', 'Flatcar Container Linux by Kinvolk 4757.2.3', { annotations: { 'flatdeck.io/staged-version': '4757.2.3' } });
    assert.equal(summarizeNode(booted).stagedVersion, null, 'an unplanned reboot already started it');
  });
});

describe('node → MachineDeployment via machine-controller ownership', () => {
  const machineSets = [
    { metadata: { name: 'pool-a-7d9f', namespace: 'kube-system', ownerReferences: [{ kind: 'MachineDeployment', name: 'pool-a', controller: true }] } },
    { metadata: { name: 'orphan-set', namespace: 'kube-system' } },
  ];
  const machines = [
    { metadata: { name: 'pool-a-7d9f-x1', namespace: 'kube-system', uid: 'uid-x1', ownerReferences: [{ kind: 'MachineSet', name: 'pool-a-7d9f', controller: true }] } },
    { metadata: { name: 'orphan-m', namespace: 'kube-system', uid: 'uid-o', ownerReferences: [{ kind: 'MachineSet', name: 'orphan-set' }] } },
    { not: 'a machine' },
  ];
  const own = MachineOwnership.build(machines, machineSets);

  it('follows the owned-by label (Machine UID) through MachineSet to MachineDeployment', () => {
    const node = flatcarNode('w4', 'Flatcar Container Linux by Kinvolk 4757.2.0', { labels: { 'machine-controller/owned-by': 'uid-x1' } });
    const ref = machineRefOf(node.metadata?.labels, node.metadata?.annotations);
    assert.deepEqual(ref, { by: 'uid', uid: 'uid-x1' });
    assert.equal(summarizeNode(node, own.resolve(ref)).machineDeployment, 'pool-a');
  });

  it("falls back to the Machine's status.nodeRef when the node carries no pointer", () => {
    const withRef = MachineOwnership.build(
      [{ metadata: { name: 'm2', namespace: 'kube-system', uid: 'u2', ownerReferences: [{ kind: 'MachineSet', name: 'pool-a-7d9f' }] }, status: { nodeRef: { name: 'w9' } } }],
      machineSets,
    );
    assert.equal(withRef.resolve(null, 'w9'), 'pool-a');
    assert.equal(withRef.resolve(null, 'w10'), null);
  });

  it('follows the cluster.k8s.io/machine annotation, and yields null without an owning MD', () => {
    assert.equal(own.resolve(machineRefOf({}, { 'cluster.k8s.io/machine': 'kube-system/pool-a-7d9f-x1' })), 'pool-a');
    assert.equal(own.resolve(machineRefOf({ 'machine-controller/owned-by': 'uid-o' }, {})), null);
    assert.equal(own.resolve(machineRefOf({}, {})), null);
  });

  it('summarizes a MachineDeployment object', () => {
    const md = {
      metadata: { name: 'pool-a', namespace: 'kube-system' },
      spec: { replicas: 3, template: { spec: { providerSpec: { value: { operatingSystem: 'flatcar', operatingSystemSpec: { disableAutoUpdate: true, disableLocksmithD: true } } } } } },
      status: { replicas: 3, updatedReplicas: 2, readyReplicas: 3 },
    };
    assert.deepEqual(summarizeMachineDeployment(md, ['w5', 'w4']), {
      name: 'pool-a',
      namespace: 'kube-system',
      operatingSystem: 'flatcar',
      disableAutoUpdate: true,
      replicas: 3,
      updatedReplicas: 2,
      readyReplicas: 3,
      nodes: ['w4', 'w5'],
    });
  });
});
