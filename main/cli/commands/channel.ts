import { z } from 'zod';
import { channelEffect } from '../../../app/api/channels.ts';
import { ReleaseChannel } from '../../../app/api/releases.ts';
import { CliError, defineCommand, EXIT, exitCodeHelp, type CliIo } from '../command.ts';
import { ClusterArgs, clusterOptions, clusterOptionsHelp, type OpenCluster } from '../cluster-options.ts';
import { confirm, withCluster } from '../session.ts';

const ChannelArgs = z
  .object({ values: z.record(z.string(), z.unknown()), positionals: z.array(z.string()) })
  .transform(({ values, positionals }, c) => {
    const all = values.all === true;
    if (positionals.length !== (all ? 1 : 2)) {
      c.addIssue({ code: 'custom', message: all ? 'with --all, channel takes only CHANNEL' : 'channel takes NODE and CHANNEL (or --all CHANNEL)' });
      return z.NEVER;
    }
    return { ...values, node: all ? null : (positionals[0] as string), channel: positionals.at(-1) as string };
  })
  .pipe(
    ClusterArgs.and(
      z.object({
        yes: z.boolean().default(false),
        all: z.boolean().default(false),
        node: z.string().min(1).nullable(),
        channel: z.string().transform((s, c): ReleaseChannel => {
          const known = ReleaseChannel.safeParse(s);
          if (known.success) return known.data;
          c.addIssue({ code: 'custom', message: `"${s}" is not a Flatcar channel (${ReleaseChannel.options.join(', ')})` });
          return z.NEVER;
        }),
      }),
    ),
  );

/** What each node does once it follows the channel: the rule update_engine applies (no downgrades). */
async function planText(open: OpenCluster, node: string | null, channel: ReleaseChannel): Promise<string> {
  const nodes = (await open.service.call('nodes.list', { cluster: open.cluster })).filter((n) => n.distribution === 'flatcar' && (node === null || n.name === node));
  if (node !== null && nodes.length === 0) throw new CliError(`${node} is not a Flatcar node of ${open.cluster}`, EXIT.failed);
  const releases = await open.service.call('releases.get', { cluster: open.cluster, refresh: false });
  const newest = releases.channels.find((r) => r.channel === channel)?.version ?? null;
  const lines = [`${channel}: newest release ${newest ?? 'unknown (the release feed could not be read)'}`];
  for (const n of nodes) {
    const effect = channelEffect(n.flatcarVersion, newest);
    const what =
      effect === 'updates'
        ? `moves to ${newest} at its next update (update_engine's next check, or flatdeck update)`
        : effect === 'waits'
          ? `stays on ${n.flatcarVersion} until ${channel} has a release newer than it: update_engine never downgrades (a rollback or an exact version gets there now)`
          : 'effect unknown (its version or the channel\'s newest release is not known)';
    lines.push(`  ${n.name.padEnd(16)} ${(n.flatcarVersion ?? '?').padEnd(10)} ${(n.channel ?? '?').padEnd(7)} → ${channel}: ${what}`);
  }
  return `${lines.join('\n')}\n`;
}

function resultText(io: CliIo, result: { channel: string; changes: Array<{ node: string; from: string | null; ok: boolean; error: string | null }> }): number {
  for (const c of result.changes) {
    io.stdout.write(c.ok ? `${c.node}: GROUP=${result.channel} (was ${c.from ?? 'not set: the image default'})\n` : `${c.node}: not changed: ${c.error}\n`);
  }
  return result.changes.every((c) => c.ok) ? EXIT.ok : EXIT.failed;
}

export const channelCommand = defineCommand({
  name: 'channel',
  help: `usage: flatdeck channel NODE CHANNEL [--yes]
       flatdeck channel --all CHANNEL [--yes]

Moves a node (or every Flatcar node) to a release channel: GROUP=CHANNEL in /etc/flatcar/update.conf, written
atomically (a new file renamed over the old one), every other line kept. update_engine reads it at its next
check; nothing reboots now.

update_engine never installs an older release: a node moves to the new channel's releases when that channel's
newest release is newer than the one it runs, and otherwise stays where it is until the channel catches up.
Before changing anything flatdeck lists what each node will do.

options:
  --all        every Flatcar node of the cluster
  -y, --yes    do not ask for confirmation

${clusterOptionsHelp}

examples:
  flatdeck channel worker-3 beta
  flatdeck channel --all stable --yes --json

${exitCodeHelp}`,
  options: { ...clusterOptions, yes: { type: 'boolean', short: 'y' }, all: { type: 'boolean' } },
  allowPositionals: true,
  args: ChannelArgs,
  run: (args, io) =>
    withCluster(args, io, async (open) => {
      if (!args.yes) {
        io.stderr.write(await planText(open, args.node, args.channel));
        if (!(await confirm(io, `Set channel ${args.channel} on ${args.node ?? 'every Flatcar node'}?`))) return EXIT.failed;
      }
      const result = await open.service.call('channels.set', { cluster: open.cluster, nodes: args.node === null ? null : [args.node], channel: args.channel });
      if (args.json) {
        io.stdout.write(`${JSON.stringify(result)}\n`);
        return result.changes.every((c) => c.ok) ? EXIT.ok : EXIT.failed;
      }
      return resultText(io, result);
    }),
});
