// The contract suite against the simulator's API server: the same cases as contract-real.test.ts.
import { after, before, describe, it } from 'node:test';
import { contractCases } from './contract/cases.ts';
import { startSimTarget } from './contract/sim-target.ts';
import type { ContractTarget } from './contract/target.ts';

describe(`contract (simulated API server): ${contractCases.length} cases`, () => {
  let target: ContractTarget;
  before(async () => {
    target = await startSimTarget();
  });
  after(async () => {
    await target?.stop();
  });
  for (const c of contractCases) it(c.name, () => c.run(target));
});
