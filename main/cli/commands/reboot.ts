import { z } from 'zod';
import type { RebootRequired } from '../../../app/api/ubuntu-reboot.ts';
import { CliError, defineCommand, EXIT, exitCodeHelp } from '../command.ts';
import { ClusterArgs, clusterOptions, clusterOptionsHelp } from '../cluster-options.ts';
import { confirm, withCluster } from '../session.ts';
import { follow, PipelineFlags, pipelineOptions, pipelineOptionsHelp, updateOptions } from './pipeline.ts';

/** What the node's sentinel says, and the way off Ubuntu next to it. */
export function rebootRequiredText(node: string, r: RebootRequired): string {
  const pkgs = r.packages.length === 0 ? '' : ` (${r.packages.length} package${r.packages.length === 1 ? '' : 's'}: ${r.packages.join(', ')})`;
  const state = r.required ? `reboot required${pkgs}` : 'no reboot required (no /var/run/reboot-required)';
  const md = r.machineDeployment;
  const migrate = md
    ? `  Ubuntu is no longer supported for worker nodes: \`flatdeck md migrate-flatcar ${md}\` replaces its nodes with Flatcar ones`
    : '  Ubuntu is no longer supported for worker nodes: migrate its MachineDeployment to Flatcar (`flatdeck md migrate-flatcar MD`)';
  return `${node}: Ubuntu, ${state}\n${migrate}\n`;
}

const RebootArgs = z
  .object({ values: z.record(z.string(), z.unknown()), positionals: z.array(z.string()).length(1, 'reboot takes exactly one NODE') })
  .transform(({ values, positionals }) => ({ ...values, node: positionals[0] as string }))
  .pipe(ClusterArgs.and(PipelineFlags).and(z.object({ node: z.string().min(1), force: z.boolean().default(false) })));

export const rebootCommand = defineCommand({
  name: 'reboot',
  help: `usage: flatdeck reboot NODE [options]

Reboots an Ubuntu worker that asks for it, what kured does: Ubuntu's update-notifier writes
/var/run/reboot-required (and the packages in /var/run/reboot-required.pkgs) when an installed package, such
as a new kernel, needs a reboot. It runs in the same serialized pipeline as a Flatcar update: pre-flight, the
cluster-wide lock, cordon, drain, \`sudo systemctl reboot\`, the check that the node is back (new boot ID,
Ready), uncordon. A node without the sentinel is refused unless --force. Flatcar nodes are refused: they
reboot through \`flatdeck update\` or \`flatdeck rollback\`.

Ubuntu is no longer supported for worker nodes; the output names the MachineDeployment to migrate with
\`flatdeck md migrate-flatcar\`.

  --force                   reboot even without /var/run/reboot-required

${pipelineOptionsHelp}

${clusterOptionsHelp}

examples:
  flatdeck reboot worker-6 --context prod
  flatdeck reboot worker-6 --yes --json

${exitCodeHelp}`,
  options: { ...clusterOptions, ...pipelineOptions, force: { type: 'boolean' } },
  allowPositionals: true,
  args: RebootArgs,
  run: (args, io) =>
    withCluster(args, io, async (open) => {
      const options = updateOptions(args);
      const needs = await open.service.call('nodes.rebootRequired', { cluster: open.cluster, node: args.node });
      io.stderr.write(rebootRequiredText(args.node, needs));
      if (!needs.required && !args.force) throw new CliError(`${args.node} does not need a reboot (no /var/run/reboot-required); pass --force to reboot it anyway`, EXIT.failed);
      if (!args.yes && !(await confirm(io, `Reboot ${args.node} (cordon, drain, reboot)?`))) return EXIT.failed;
      return follow(open, io, args.json, () => open.service.call('pipeline.rebootNode', { cluster: open.cluster, node: args.node, force: args.force, options }));
    }),
});
