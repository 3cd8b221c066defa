// The Kubermatic MachineDeployment (cluster.k8s.io/v1alpha1) as flatdeck uses it: list, read the Flatcar
// settings, flip operatingSystemSpec.disableAutoUpdate by merge and JSON patch; provider fields survive.
import assert from 'node:assert/strict';
import { ContentType } from '../../../sim/kubelet/rest-client.ts';
import { inNamespace, type ContractCase, type KubeList } from './helpers.ts';

interface MachineDeployment {
  metadata: { name: string; generation?: number };
  spec: {
    replicas: number;
    template: {
      spec: {
        providerSpec: { value: { cloudProvider?: string; operatingSystem: string; operatingSystemSpec: Record<string, unknown> } };
        versions: { kubelet: string };
      };
    };
  };
}

const collection = (ns: string) => `/apis/cluster.k8s.io/v1alpha1/namespaces/${ns}/machinedeployments`;

function machineDeployment(ns: string, name: string) {
  return {
    apiVersion: 'cluster.k8s.io/v1alpha1',
    kind: 'MachineDeployment',
    metadata: { name, namespace: ns },
    spec: {
      // Zero replicas: the contract is about the API, not about a controller replacing machines.
      replicas: 0,
      selector: { matchLabels: { workerset: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { workerset: name } },
        spec: {
          providerSpec: {
            value: {
              cloudProvider: 'aws',
              cloudProviderSpec: { instanceType: 't3.large', region: 'eu-central-1' },
              operatingSystem: 'flatcar',
              operatingSystemSpec: { disableAutoUpdate: false, disableLocksmithD: true, disableUpdateEngine: false, provisioningUtility: 'ignition' },
            },
          },
          versions: { kubelet: '1.36.3' },
        },
      },
    },
  };
}

export const machineDeploymentCases: ContractCase[] = [
  {
    name: 'machinedeployments: create, list across namespaces, flip disableAutoUpdate by merge and JSON patch',
    async run(t) {
      await inNamespace(t, 'ct-md', async (ns) => {
        const created = await t.admin.call<MachineDeployment>('POST', collection(ns), machineDeployment(ns, 'workers'));
        assert.equal(created.spec.template.spec.providerSpec.value.operatingSystem, 'flatcar');
        const all = await t.admin.get<KubeList<MachineDeployment>>('/apis/cluster.k8s.io/v1alpha1/machinedeployments');
        assert.ok(all.items.some((m) => m.metadata.name === 'workers'));

        const merged = await t.admin.call<MachineDeployment>(
          'PATCH',
          `${collection(ns)}/workers`,
          { spec: { template: { spec: { providerSpec: { value: { operatingSystemSpec: { disableAutoUpdate: true } } } } } } },
          ContentType.merge,
        );
        const value = merged.spec.template.spec.providerSpec.value;
        assert.equal(value.operatingSystemSpec.disableAutoUpdate, true);
        assert.equal(value.operatingSystemSpec.disableLocksmithD, true, 'sibling fields survive a merge patch');
        assert.equal(value.cloudProvider, 'aws', 'provider fields are preserved');
        assert.equal(merged.metadata.generation, (created.metadata.generation ?? 1) + 1, 'a spec change bumps generation');

        const jsonPatched = await t.admin.call<MachineDeployment>(
          'PATCH',
          `${collection(ns)}/workers`,
          [{ op: 'replace', path: '/spec/template/spec/providerSpec/value/operatingSystemSpec/disableAutoUpdate', value: false }],
          ContentType.jsonPatch,
        );
        assert.equal(jsonPatched.spec.template.spec.providerSpec.value.operatingSystemSpec.disableAutoUpdate, false);
        assert.equal(jsonPatched.spec.template.spec.versions.kubelet, '1.36.3');
      });
    },
  },
];
