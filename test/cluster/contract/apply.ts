// Server-side apply of the FLUO manifests flatdeck installs: create, idempotent re-apply, field-manager
// conflicts (409) and forced takeover, then removal.
import assert from 'node:assert/strict';
import { ContentType } from '../../../sim/kubelet/rest-client.ts';
import { objectPath, type KubeManifest } from '../../../sim/kubelet/workload.ts';
import { readManifests } from '../../support/manifests.ts';
import type { ContractCase, StatusBody } from './helpers.ts';
import type { ContractTarget } from './target.ts';

interface Applied {
  metadata: { resourceVersion: string; managedFields?: Array<{ manager: string; operation: string }> };
  spec?: { template?: { spec?: { containers?: Array<{ name: string; image: string }> } } };
}

const apply = (t: ContractTarget, m: KubeManifest, manager: string, force = false) =>
  t.admin.raw<Applied & StatusBody>('PATCH', `${objectPath(m)}?fieldManager=${manager}${force ? '&force=true' : ''}`, JSON.stringify(m), ContentType.apply);

async function removeAll(t: ContractTarget, manifests: KubeManifest[]): Promise<void> {
  for (const m of [...manifests].reverse()) await t.admin.raw('DELETE', objectPath(m));
}

export const applyCases: ContractCase[] = [
  {
    name: 'apply: FLUO manifests server-side apply (201 then 200 unchanged), 409 on a field conflict, force takes over',
    async run(t) {
      const manifests = readManifests('deploy/fluo/fluo.yaml');
      assert.ok(manifests.length >= 8, 'the FLUO bundle has its namespace, RBAC, Deployment and DaemonSet');
      try {
        const first = new Map<KubeManifest, string>();
        for (const m of manifests) {
          const res = await apply(t, m, 'flatdeck');
          assert.equal(res.status, 201, `${m.kind}/${m.metadata.name}: ${JSON.stringify(res.body)}`);
          assert.ok(res.body.metadata.managedFields?.some((f) => f.manager === 'flatdeck' && f.operation === 'Apply'));
          first.set(m, res.body.metadata.resourceVersion);
        }
        for (const m of manifests.filter((x) => x.kind !== 'Deployment' && x.kind !== 'DaemonSet')) {
          // Controllers write status on workloads; everything else must be untouched by a no-op re-apply.
          const res = await apply(t, m, 'flatdeck');
          assert.equal(res.status, 200, `${m.kind}/${m.metadata.name}`);
          assert.equal(res.body.metadata.resourceVersion, first.get(m), `re-applying ${m.kind}/${m.metadata.name} changes nothing`);
        }

        const operator = manifests.find((m) => m.kind === 'Deployment');
        assert.ok(operator);
        const edited = structuredClone(operator) as KubeManifest & { spec: { template: { spec: { containers: Array<{ name: string; image: string }> } } } };
        const container = edited.spec.template.spec.containers[0];
        assert.ok(container);
        container.image = 'ghcr.io/flatcar/flatcar-linux-update-operator:v0.9.0';
        const conflict = await apply(t, edited, 'someone-else');
        assert.equal(conflict.status, 409);
        assert.equal(conflict.body.reason, 'Conflict');
        // Besides the image, atomic structs that the server defaulted (env valueFrom.fieldRef gains apiVersion) also
        // differ from what a second manager applies, so the count depends on the manifest: at least the image.
        assert.match(conflict.body.message, /^Apply failed with \d+ conflicts?: conflicts? with "flatdeck"/);
        const imageField = `.spec.template.spec.containers[name="${container.name}"].image`;
        assert.ok(conflict.body.message.includes(imageField), conflict.body.message);
        const causes = conflict.body.details?.causes ?? [];
        assert.ok(causes.length >= 1 && causes.every((c) => c.reason === 'FieldManagerConflict'), JSON.stringify(causes));
        assert.ok(causes.some((c) => c.field === imageField), JSON.stringify(causes));
        const forced = await apply(t, edited, 'someone-else', true);
        assert.equal(forced.status, 200);
        assert.equal(forced.body.spec?.template?.spec?.containers?.[0]?.image, container.image);
      } finally {
        await removeAll(t, manifests);
      }
    },
  },
];
