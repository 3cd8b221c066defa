// The contract suite against the real control plane built by test/cluster/build.
import { after, before, describe, it } from 'node:test';
import { realClusterSkip } from '../support/real-cluster.ts';
import { contractCases } from './contract/cases.ts';
import { startRealTarget } from './contract/real-target.ts';
import type { ContractTarget } from './contract/target.ts';

const skip = realClusterSkip();

describe(`contract (real kube-apiserver): ${contractCases.length} cases`, { skip }, () => {
  let target: ContractTarget;
  before(async () => {
    target = await startRealTarget();
  });
  after(async () => {
    await target?.stop();
  });
  for (const c of contractCases) it(c.name, () => c.run(target));
});
