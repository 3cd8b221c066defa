import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rebootRequiredText } from '../../main/cli/commands/reboot.ts';

describe('flatdeck reboot: what it says about the Ubuntu node', () => {
  it('the packages that ask for the reboot, and the MachineDeployment whose migration to Flatcar replaces the node', () => {
    assert.equal(
      rebootRequiredText('worker-6', { required: true, packages: ['linux-image-5.15.0-127-generic'], machineDeployment: 'kube-system/ubuntu-workers' }),
      'worker-6: Ubuntu, reboot required (1 package: linux-image-5.15.0-127-generic)\n  Ubuntu is no longer supported for worker nodes: `flatdeck md migrate-flatcar kube-system/ubuntu-workers` replaces its nodes with Flatcar ones\n',
    );
  });

  it('a sentinel without a package list, on a node no MachineDeployment owns', () => {
    assert.equal(
      rebootRequiredText('worker-6', { required: true, packages: [], machineDeployment: null }),
      'worker-6: Ubuntu, reboot required\n  Ubuntu is no longer supported for worker nodes: migrate its MachineDeployment to Flatcar (`flatdeck md migrate-flatcar MD`)\n',
    );
  });
});
