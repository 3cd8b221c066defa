import { z } from 'zod';
import type { PreflightReport } from '../../../app/api/pipeline.ts';
import type { UsrPartitions } from '../../../app/api/rollback.ts';
import { CliError, defineCommand, EXIT, exitCodeHelp } from '../command.ts';
import { ClusterArgs, clusterOptions, clusterOptionsHelp } from '../cluster-options.ts';
import { confirm, withCluster } from '../session.ts';
import { follow, PipelineFlags, pipelineOptions, pipelineOptionsHelp, updateOptions } from './pipeline.ts';

export function partitionsText(node: string, p: UsrPartitions): string {
  const other = p.other.version === null ? 'empty' : `${p.other.version}${p.other.successful ? '' : ', never booted successfully'}`;
  const lines = [
    `${node}: running ${p.booted.version ?? '?'} (${p.booted.label}, ${p.booted.device})`,
    `  other partition ${p.other.label} (${p.other.device}): ${other}; next boot: ${p.nextBoot === 'other' ? p.other.label : p.booted.label}`,
  ];
  if (p.rollback.kind === 'rollback') lines.push(`  previous: ${p.rollback.version} (other partition)`);
  if (p.rollback.kind === 'discard-staged') lines.push(`  an update to ${p.rollback.version ?? 'an unnamed version'} is staged there and not booted yet: rollback discards it (no reboot)`);
  return `${lines.join('\n')}\n`;
}

function drainText(r: PreflightReport): string {
  const lines = r.pods.map((p) => `  ${p.action.padEnd(16)} ${p.namespace}/${p.name}  ${p.reason}`);
  for (const b of r.blockers) lines.push(`  ${b.severity === 'warning' ? 'warning' : 'BLOCKER'}: ${b.message}`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

const RollbackArgs = z
  .object({ values: z.record(z.string(), z.unknown()), positionals: z.array(z.string()).length(1, 'rollback takes exactly one NODE') })
  .transform(({ values, positionals }) => ({ ...values, node: positionals[0] as string }))
  .pipe(ClusterArgs.and(PipelineFlags).and(z.object({ node: z.string().min(1) })));

export const rollbackCommand = defineCommand({
  name: 'rollback',
  help: `usage: flatdeck rollback NODE [options]

Boots the Flatcar release NODE ran before its last update again: the one on its other USR partition
(Flatcar's manual rollback: cgpt prioritize that partition, then reboot). It runs in the same serialized
pipeline as an update: pre-flight, the cluster-wide lock, cordon, drain, reboot, the check that the node is
back on that release (new boot ID, VERSION_ID, Ready), uncordon.

An update staged on the other partition and not booted yet is discarded instead (flatcar-setgoodroot and
update_engine_client -reset_status): the node keeps its release, nothing reboots. A node whose other partition
holds nothing (never updated) or a release that never booted successfully cannot be rolled back; flatdeck says
why and changes nothing.

update_engine, where it runs, offers the newer release again at its next check: switch auto-update off (or
set SERVER=disabled) to stay on the older one.

${pipelineOptionsHelp}

${clusterOptionsHelp}

examples:
  flatdeck rollback worker-3 --context prod
  flatdeck rollback worker-3 --yes --json

${exitCodeHelp}`,
  options: { ...clusterOptions, ...pipelineOptions },
  allowPositionals: true,
  args: RollbackArgs,
  run: (args, io) =>
    withCluster(args, io, async (open) => {
      const options = updateOptions(args);
      const partitions = await open.service.call('nodes.usrPartitions', { cluster: open.cluster, node: args.node });
      io.stderr.write(partitionsText(args.node, partitions));
      const plan = partitions.rollback;
      if (plan.kind === 'impossible') throw new CliError(`${args.node} cannot be rolled back: ${plan.reason}`, EXIT.failed);
      if (!args.yes) {
        if (plan.kind === 'rollback') {
          const report = await open.service.call('nodes.preflight', { cluster: open.cluster, node: args.node, options });
          io.stderr.write(drainText(report));
          if (!report.ok) throw new CliError(`Pre-flight failed for ${args.node}: ${report.blockers.find((b) => b.severity !== 'warning')?.message ?? report.errors[0]?.message}`, EXIT.failed);
        }
        const question = plan.kind === 'rollback' ? `Roll ${args.node} back to ${plan.version} (cordon, drain, reboot)?` : `Discard the update staged on ${args.node} (no reboot)?`;
        if (!(await confirm(io, question))) return EXIT.failed;
      }
      return follow(open, io, args.json, () => open.service.call('pipeline.rollbackNode', { cluster: open.cluster, node: args.node, options }));
    }),
});
