// Every contract case, in the order they run against each target.
import { applyCases } from './apply.ts';
import { cordonCases } from './cordon.ts';
import { evictionCases } from './eviction.ts';
import type { ContractCase } from './helpers.ts';
import { leaseCases } from './lease.ts';
import { machineDeploymentCases } from './machine-deployment.ts';
import { nodeCases } from './nodes.ts';
import { podCases } from './pods.ts';
import { rbacCases } from './rbac.ts';

// Node cases run last: the watch-expiry case waits for the API server to compact its history.
export const contractCases: readonly ContractCase[] = [
  ...cordonCases,
  ...leaseCases,
  ...rbacCases,
  ...machineDeploymentCases,
  ...applyCases,
  ...podCases,
  ...evictionCases,
  ...nodeCases,
];
