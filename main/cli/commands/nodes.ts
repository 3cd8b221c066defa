import { z } from 'zod';
import type { NodeLiveState, NodeSummary } from '../../../app/api/nodes.ts';
import { UpdateOp } from '../../../app/api/update-engine.ts';
import { updateStateOfOp, updateStateWords } from '../../../app/api/update-state.ts';
import { defineCommand, EXIT, exitCodeHelp } from '../command.ts';
import { ClusterArgs, clusterOptions, clusterOptionsHelp, cliErrorFrom, openCluster } from '../cluster-options.ts';
import { formatTable } from '../table.ts';

/** One row of `flatdeck nodes --json`. */
export interface NodeRow {
  name: string;
  roles: string[];
  os: NodeSummary['distribution'];
  osImage: string;
  /** Over SSH with --ssh (VERSION_ID), else from the node's osImage. */
  version: string | null;
  versionSource: 'ssh' | 'osImage';
  /** With --ssh: GROUP as update_engine reads it (update.conf), else the running release's channel. */
  channel: string | null;
  ready: NodeSummary['ready'];
  cordoned: boolean;
  update: {
    source: 'ssh' | 'fluo' | null;
    /** update_engine's op without UPDATE_STATUS_ (or MASKED, or FLUO's REBOOTING/REBOOTED): for scripts. */
    state: string | null;
    /** The same words as the GUI's state column (Idle, Downloading, update-engine off, …): for people. */
    word: string | null;
    progress: number | null;
    newVersion: string | null;
  };
  updateEngineUnit: NodeLiveState['updateEngineUnit'];
  /** The version the node boots at its next reboot, planned or not (a run stopped after staging it). */
  stagedVersion: string | null;
  /** Why a flatdeck run left the node needing the operator (the Node's mark), or null. */
  attention: string | null;
  error: string | null;
}

const NO_VERSION = '0.0.0';

const opOf = (state: string): UpdateOp | null => {
  const op = UpdateOp.safeParse(`UPDATE_STATUS_${state}`);
  return op.success ? op.data : null;
};

/** The GUI's word for what was read: update_engine's op, else why there is none (the GUI's updateState). */
function stateWord(node: NodeSummary, live: NodeLiveState | undefined, state: string | null): string | null {
  if (node.distribution === 'ubuntu' && live) {
    if (live.error) return updateStateWords.unreachable;
    if (live.rebootRequired) return updateStateWords[live.rebootRequired.required ? 'need-reboot' : 'idle'];
  }
  if (node.distribution !== 'flatcar') return updateStateWords['not-flatcar'];
  const op = state === null ? null : opOf(state);
  if (op) return updateStateWords[updateStateOfOp[op]];
  if (live?.error) return updateStateWords.unreachable;
  if (live && live.updateEngineUnit && live.updateEngineUnit !== 'enabled') return updateStateWords['engine-off'];
  return state;
}

export function nodeRow(node: NodeSummary, live: NodeLiveState | undefined): NodeRow {
  const ue = live?.updateEngine ?? null;
  let update: NodeRow['update'] = { source: null, state: null, word: null, progress: null, newVersion: null };
  if (live) {
    update = {
      source: 'ssh',
      state: ue ? ue.currentOp.replace(/^UPDATE_STATUS_/, '') : live.updateEngineUnit === 'masked' ? 'MASKED' : null,
      word: null,
      progress: ue ? ue.progress : null,
      newVersion: ue && ue.newVersion !== NO_VERSION ? ue.newVersion : null,
    };
  } else if (node.fluo) {
    update = { source: 'fluo', state: node.fluo.phase, word: null, progress: null, newVersion: node.fluo.newVersion && node.fluo.newVersion !== NO_VERSION ? node.fluo.newVersion : null };
  }
  return {
    name: node.name,
    roles: node.roles,
    os: node.distribution,
    osImage: node.osImage,
    version: live ? live.versionId : node.flatcarVersion,
    versionSource: live ? 'ssh' : 'osImage',
    channel: live?.group ?? node.channel,
    ready: node.ready,
    cordoned: node.unschedulable,
    update: { ...update, word: stateWord(node, live, update.state) },
    updateEngineUnit: live?.updateEngineUnit ?? null,
    stagedVersion: node.stagedVersion,
    attention: node.flatdeck?.attention ?? null,
    error: live?.error ?? null,
  };
}

function updateCell(r: NodeRow): string {
  if (!r.update.word) return '-';
  const pct = r.update.state === 'DOWNLOADING' && r.update.progress !== null ? ` ${Math.round(r.update.progress * 100)}%` : '';
  const to = r.update.newVersion ? ` → ${r.update.newVersion}` : '';
  return `${r.update.word}${pct}${to}`;
}

function attentionCell(r: NodeRow): string {
  if (r.stagedVersion) return `boots ${r.stagedVersion} at next reboot`;
  return r.attention ? 'needs attention' : '-';
}

export function nodesTable(rows: readonly NodeRow[]): string {
  return formatTable(
    ['NAME', 'OS', 'VERSION', 'CHANNEL', 'READY', 'CORDONED', 'UPDATE', 'ATTENTION'],
    rows.map((r) => [r.name, r.os, r.version ?? '-', r.channel ?? '-', r.ready, r.cordoned ? 'yes' : 'no', updateCell(r), attentionCell(r)]),
  );
}

const NodesArgs = z
  .object({ values: z.record(z.string(), z.unknown()), positionals: z.array(z.string()).max(0, 'nodes takes no positional arguments') })
  .transform(({ values }) => values)
  .pipe(ClusterArgs.and(z.object({ ssh: z.boolean().default(false) })));

export const nodesCommand = defineCommand({
  name: 'nodes',
  help: `usage: flatdeck nodes [--kubeconfig F] [--context C] [--ssh-config F] [--ssh] [--json] [--demo]

Lists the cluster's nodes: OS, Flatcar version and channel, Ready, cordoned, the update state, and what needs
the operator (ATTENTION: an update staged by a stopped run, which the next reboot boots, or a run's attention
mark; both read from the Node objects, so every machine sees them).
Without --ssh the version comes from the node's osImage and the update state from FLUO's annotations
(where FLUO runs); with --ssh every Flatcar node is asked directly (grep VERSION_ID /etc/os-release,
systemctl is-enabled update-engine, update_engine_client -status).

  --ssh              read version and update state over SSH

${clusterOptionsHelp}

examples:
  flatdeck nodes --context prod
  flatdeck nodes --ssh --json | jq '.[] | select(.update.state == "UPDATED_NEED_REBOOT") | .name'
  npm run flatdeck -- nodes --demo --ssh

${exitCodeHelp}`,
  options: { ...clusterOptions, ssh: { type: 'boolean' } },
  args: NodesArgs,
  async run(args, io) {
    let open;
    try {
      open = await openCluster(args, io);
    } catch (err) {
      throw cliErrorFrom(err);
    }
    try {
      const nodes = (await open.service.call('nodes.list', { cluster: open.cluster })).sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
      const live = new Map<string, NodeLiveState>();
      if (args.ssh) {
        for (const s of await open.service.call('nodes.refreshLive', { cluster: open.cluster })) live.set(s.node, s);
      }
      const rows = nodes.map((n) => nodeRow(n, live.get(n.name)));
      io.stdout.write(args.json ? `${JSON.stringify(rows, null, 2)}\n` : nodesTable(rows));
      const failed = rows.filter((r) => r.error && r.update.source === 'ssh');
      for (const r of args.json ? [] : failed) io.stderr.write(`flatdeck: ${r.name}: ${r.error}\n`);
      return failed.length > 0 ? EXIT.partial : EXIT.ok;
    } catch (err) {
      throw cliErrorFrom(err);
    } finally {
      await open.close();
    }
  },
});
