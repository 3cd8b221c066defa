import { z } from 'zod';
import type { AutoUpdatePlan, AutoUpdateStatus, MachineDeploymentSummary } from '../../../app/api/auto-update.ts';
import { parseWindowSpec } from '../../../app/pipeline/reboot-window.ts';
import { CliError, defineCommand, EXIT, exitCodeHelp, type CliIo } from '../command.ts';
import { ClusterArgs, clusterOptions, clusterOptionsHelp, type OpenCluster } from '../cluster-options.ts';
import { confirm, withCluster } from '../session.ts';
import { formatTable } from '../table.ts';

const yesNo = (b: boolean | null) => (b === null ? '-' : b ? 'yes' : 'no');

export function statusText(s: AutoUpdateStatus): string {
  const f = s.fluo;
  const fluo = f.present
    ? `FLUO ${f.version ?? '(unknown version)'} in ${f.namespace}, managed by ${f.managedBy}, agent ready ${f.agentReady}/${f.agentDesired}`
    : 'FLUO not installed';
  const nodes = formatTable(
    ['NODE', 'UPDATE-ENGINE', 'RUNNING', 'LOCKSMITHD', 'RUNNING', 'GROUP', 'SERVER', 'FLUO-STATUS', 'REBOOT-PAUSED'],
    s.nodes.map((n) => [
      n.node,
      n.reachable ? n.updateEngine : 'unreachable',
      yesNo(n.updateEngineActive),
      n.reachable ? n.locksmithd : '-',
      yesNo(n.locksmithdActive),
      n.group ?? '-',
      n.server ?? '-',
      n.fluo?.phase ?? '-',
      n.fluo ? yesNo(n.fluo.rebootPaused) : '-',
    ]),
  );
  const lines = [`auto-update: ${s.enabled}`, fluo];
  const danger = s.rebootsWithoutDrain;
  if (danger) {
    lines.push('', `DANGER: ${danger.message}`);
    for (const r of danger.remedies) lines.push(`  remedy: flatdeck auto-update ${r.enable ? 'on' : 'off'} (${r.description})`);
  }
  lines.push('', nodes.trimEnd());
  if (s.machineDeployments.length) lines.push('', mdTable(s.machineDeployments).trimEnd());
  for (const w of s.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}

export function planText(p: AutoUpdatePlan): string {
  const lines = [`Plan to turn auto-update ${p.enable ? 'ON' : 'OFF'} for ${p.cluster}:`];
  for (const c of p.changes) lines.push(`  ${c.node ?? c.target}: ${c.action}`);
  if (p.changes.length === 0) lines.push('  (no changes)');
  for (const n of p.notes) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}

export function mdTable(mds: readonly MachineDeploymentSummary[]): string {
  return formatTable(
    ['MACHINEDEPLOYMENT', 'OS', 'AUTO-UPDATE', 'REPLICAS', 'UPDATED', 'READY', 'NODES'],
    mds.map((m) => [
      `${m.namespace}/${m.name}`,
      m.operatingSystem === 'ubuntu' ? 'ubuntu (unsupported: migrate to Flatcar)' : m.operatingSystem,
      m.operatingSystem === 'flatcar' ? (m.disableAutoUpdate ? 'off' : 'on') : '-',
      String(m.replicas),
      String(m.updatedReplicas),
      String(m.readyReplicas),
      m.nodes.join(',') || '-',
    ]),
  );
}

// --window "Thu 04:00,1h30m" (FLUO's START,LENGTH) or "Thu 04:00+1h30m": the one reboot-window form of the CLI.
const WindowArg = z.string().transform((s, ctx) => {
  try {
    return parseWindowSpec(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `--window: ${(err as Error).message}` });
    return z.NEVER;
  }
});

const AutoUpdateArgs = z
  .object({ values: z.record(z.string(), z.unknown()), positionals: z.array(z.string()) })
  .transform(({ values, positionals }) => ({ ...values, positionals }))
  .pipe(
    ClusterArgs.and(
      z.object({
        positionals: z.tuple([z.enum(['status', 'on', 'off'], { message: 'auto-update needs one of: status, on, off' })], { message: 'auto-update takes exactly one of: status, on, off' }),
        yes: z.boolean().default(false),
        window: WindowArg.optional(),
        'disable-mode': z.enum(['mask', 'server-disabled'], { message: '--disable-mode must be mask or server-disabled' }).default('mask'),
      }),
    ),
  );

export const autoUpdateCommand = defineCommand({
  name: 'auto-update',
  help: `usage: flatdeck auto-update status|on|off [--yes] [--window START,LENGTH] [--disable-mode mask|server-disabled] [cluster options]

status  FLUO (namespace, version, who manages it, agent health), every Flatcar node's update-engine and
        locksmithd (vendor-enabled = started by the image although \`systemctl is-enabled\` says disabled),
        update.conf GROUP/SERVER and FLUO annotations, MachineDeployments, and warnings; first of all the
        nodes that reboot without a drain when an update arrives (update-engine and locksmithd running).
on      applies FLUO ${'v0.10.0-rc2'} (server-side apply, field manager flatdeck; nothing when Kubermatic runs its
        own), then on every Flatcar node: unmask and start update-engine, stop and mask locksmithd.
off     removes the FLUO flatdeck installed (a Kubermatic FLUO is paused with reboot-paused instead), then on
        every node stops and masks update-engine and locksmithd (--disable-mode mask, default) or writes
        SERVER=disabled into /etc/flatcar/update.conf (--disable-mode server-disabled).
on/off show the plan first and ask before applying. Unreachable nodes are listed and retried next time.

  -y, --yes                      apply without asking
  --window START,LENGTH          FLUO reboot window, e.g. "Thu 04:00,1h30m" or "04:00,2h" (on only)
  --disable-mode MODE            mask (default) or server-disabled (off only)

${clusterOptionsHelp}

examples:
  flatdeck auto-update status --context prod
  flatdeck auto-update on --window "Sat 02:00,4h" --yes
  flatdeck auto-update off --disable-mode server-disabled

${exitCodeHelp}`,
  options: { ...clusterOptions, yes: { type: 'boolean', short: 'y' }, window: { type: 'string' }, 'disable-mode': { type: 'string' } },
  allowPositionals: true,
  args: AutoUpdateArgs,
  async run(args, io) {
    const [verb] = args.positionals;
    return withCluster(args, io, async (open) => {
      if (verb === 'status') {
        const status = await open.service.call('autoUpdate.status', { cluster: open.cluster });
        io.stdout.write(args.json ? `${JSON.stringify(status, null, 2)}\n` : statusText(status));
        return status.nodes.some((n) => !n.reachable) ? EXIT.partial : EXIT.ok;
      }
      const plan = await open.service.call('autoUpdate.plan', {
        cluster: open.cluster,
        enable: verb === 'on',
        options: { rebootWindow: args.window ?? null, disableMode: args['disable-mode'] },
      });
      if (!args.json) io.stdout.write(planText(plan));
      if (!args.yes && plan.changes.length > 0 && !(await confirm(io, `Apply these ${plan.changes.length} change(s)?`))) return EXIT.failed;
      const report = await open.service.call('autoUpdate.apply', { cluster: open.cluster, planId: plan.planId });
      if (args.json) {
        io.stdout.write(`${JSON.stringify({ plan, report }, null, 2)}\n`);
      } else {
        for (const r of report.results) io.stdout.write(`${r.ok ? 'ok    ' : 'FAILED'} ${r.node ?? 'cluster'}: ${r.target.replace(/^[a-z]+: /, '')}${r.error ? ` — ${r.error.message}` : ''}\n`);
        if (report.unreachable.length) io.stdout.write(`unreachable (retried on the next toggle): ${report.unreachable.join(', ')}\n`);
        io.stdout.write(`auto-update ${verb}: ${report.results.filter((r) => r.ok).length} of ${report.results.length} change(s) done\n`);
      }
      if (report.results.every((r) => r.ok)) return EXIT.ok;
      return report.results.every((r) => r.ok || (r.node && report.unreachable.includes(r.node))) ? EXIT.partial : EXIT.failed;
    });
  },
});

const MdArgs = z
  .object({ values: z.record(z.string(), z.unknown()), positionals: z.array(z.string()) })
  .transform(({ values, positionals }) => ({ ...values, positionals }))
  .pipe(
    ClusterArgs.and(
      z.object({
        positionals: z.union(
          [z.tuple([z.literal('list')]), z.tuple([z.literal('auto-update'), z.string().min(1), z.enum(['on', 'off'])]), z.tuple([z.literal('migrate-flatcar'), z.string().min(1)])],
          { message: 'md needs: list | auto-update MD on|off | migrate-flatcar MD' },
        ),
        yes: z.boolean().default(false),
        'no-follow': z.boolean().default(false),
      }),
    ),
  );

function findMd(mds: readonly MachineDeploymentSummary[], ref: string): MachineDeploymentSummary {
  const slash = ref.indexOf('/');
  const matches = mds.filter((m) => (slash > 0 ? `${m.namespace}/${m.name}` === ref : m.name === ref));
  if (matches.length === 1) return matches[0]!;
  const known = mds.map((m) => `${m.namespace}/${m.name}`).join(', ') || 'none';
  if (matches.length === 0) throw new CliError(`No MachineDeployment "${ref}" (known: ${known}).`, EXIT.usage);
  throw new CliError(`"${ref}" is ambiguous; use NAMESPACE/NAME (one of: ${matches.map((m) => `${m.namespace}/${m.name}`).join(', ')}).`, EXIT.usage);
}

const POLL_MS = 500;

/**
 * Follows the rolling replacement until every replica is a new, ready node: prints a line whenever the
 * MachineDeployment's progress or node set changes. Returns the nodes that were replaced and their successors.
 */
async function followRollout(open: OpenCluster, io: CliIo, start: MachineDeploymentSummary, json: boolean): Promise<MachineDeploymentSummary> {
  const old = new Set(start.nodes);
  let last = '';
  for (;;) {
    if (io.signal.aborted) throw new CliError('interrupted', EXIT.interrupted);
    const md = findMd(await open.service.call('md.list', { cluster: open.cluster }), `${start.namespace}/${start.name}`);
    const line = `${md.namespace}/${md.name}: updated ${md.updatedReplicas}/${md.replicas}, ready ${md.readyReplicas}/${md.replicas}, nodes ${md.nodes.join(', ') || '-'}`;
    if (line !== last && !json) io.stdout.write(`${line}\n`);
    last = line;
    const allNew = md.nodes.length === md.replicas && md.nodes.every((n) => !old.has(n));
    if (allNew && md.updatedReplicas === md.replicas && md.readyReplicas === md.replicas) return md;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export const mdCommand = defineCommand({
  name: 'md',
  help: `usage: flatdeck md list [cluster options]
       flatdeck md auto-update MD on|off [--yes] [--no-follow] [cluster options]
       flatdeck md migrate-flatcar MD [--yes] [--no-follow] [cluster options]

MD is NAME or NAMESPACE/NAME of a cluster.k8s.io/v1alpha1 MachineDeployment.
auto-update sets spec.template.spec.providerSpec.value.operatingSystemSpec.disableAutoUpdate;
migrate-flatcar sets operatingSystem flatcar with auto-update on and provisioningUtility ignition.
Both change the template, so machine-controller REPLACES EVERY NODE of the MachineDeployment (rolling,
one new node at a time). The command asks first (naming the node count) and then follows the rollout
until every node is new and ready (--no-follow returns right after the change).

  -y, --yes          do not ask for confirmation
  --no-follow        do not wait for the rollout

${clusterOptionsHelp}

${exitCodeHelp}`,
  options: { ...clusterOptions, yes: { type: 'boolean', short: 'y' }, 'no-follow': { type: 'boolean' } },
  allowPositionals: true,
  args: MdArgs,
  async run(args, io) {
    const [verb] = args.positionals;
    return withCluster(args, io, async (open) => {
      const mds = await open.service.call('md.list', { cluster: open.cluster });
      if (verb === 'list') {
        io.stdout.write(args.json ? `${JSON.stringify(mds, null, 2)}\n` : mdTable(mds));
        return EXIT.ok;
      }
      const md = findMd(mds, args.positionals[1]!);
      const ref = { cluster: open.cluster, namespace: md.namespace, name: md.name, confirmReplacesNodes: md.replicas };
      const wanted = args.positionals[0] === 'auto-update' ? `auto-update ${args.positionals[2]}` : 'operating system Flatcar (auto-update on, ignition)';
      const unchanged =
        args.positionals[0] === 'auto-update'
          ? md.operatingSystem === 'flatcar' && md.disableAutoUpdate === (args.positionals[2] === 'off')
          : md.operatingSystem === 'flatcar';
      if (unchanged) {
        io.stdout.write(args.json ? `${JSON.stringify({ machineDeployment: md, changed: false }, null, 2)}\n` : `${md.namespace}/${md.name} already has ${wanted}; nothing changed.\n`);
        return EXIT.ok;
      }
      if (!args.json) io.stdout.write(`Setting ${wanted} on MachineDeployment ${md.namespace}/${md.name} replaces all ${md.replicas} of its node(s), one at a time.\n`);
      if (!args.yes && !(await confirm(io, `Replace ${md.replicas} node(s) of ${md.namespace}/${md.name}?`))) return EXIT.failed;
      const changed =
        args.positionals[0] === 'auto-update'
          ? await open.service.call('md.setAutoUpdate', { ...ref, enabled: args.positionals[2] === 'on' })
          : await open.service.call('md.migrateFlatcar', ref);
      const final = args['no-follow'] ? changed : await followRollout(open, io, md, args.json);
      if (args.json) {
        io.stdout.write(`${JSON.stringify({ machineDeployment: final, changed: true, replaced: md.nodes, by: args['no-follow'] ? null : final.nodes }, null, 2)}\n`);
      } else if (!args['no-follow']) {
        io.stdout.write(`replaced ${md.nodes.join(', ') || '-'} by ${final.nodes.join(', ')}\n`);
      }
      return EXIT.ok;
    });
  },
});
