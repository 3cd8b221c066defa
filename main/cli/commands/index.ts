import type { CliCommand, CommandEntry } from '../command.ts';

// A static list (not a directory scan) so the bundler sees every command; each is loaded only when it runs.
const entry = (summary: string, load: () => Promise<unknown>): CommandEntry => ({ summary, load: load as () => Promise<CliCommand> });

/** Every built-in command by name, in the order `flatdeck --help` lists them. */
export const builtinCommands: ReadonlyMap<string, CommandEntry> = new Map([
  ['nodes', entry('list the nodes with OS, Flatcar version, channel, readiness and update state', async () => (await import('./nodes.ts')).nodesCommand)],
  ['update', entry('update one node: pre-flight, download, lock, cordon, drain, reboot, verify, uncordon', async () => (await import('./pipeline.ts')).updateCommand)],
  ['rollout', entry('update many nodes: downloads in parallel, drain/reboot one node at a time', async () => (await import('./pipeline.ts')).rolloutCommand)],
  ['rollback', entry('boot the release on a node\'s other USR partition again (or discard an update staged there)', async () => (await import('./rollback.ts')).rollbackCommand)],
  ['reboot', entry('reboot an Ubuntu node that needs it (/var/run/reboot-required), drained, one at a time', async () => (await import('./reboot.ts')).rebootCommand)],
  ['channel', entry('see the rule and move a node or the cluster to a release channel (GROUP in update.conf)', async () => (await import('./channel.ts')).channelCommand)],
  ['resume', entry('find runs a crash left unfinished; resume one or hand it back cleanly', async () => (await import('./pipeline.ts')).resumeCommand)],
  ['auto-update', entry('show or switch automatic Flatcar updates (FLUO in the cluster, update-engine on the nodes)', async () => (await import('./auto-update.ts')).autoUpdateCommand)],
  ['md', entry('Kubermatic MachineDeployments: list, switch auto-update, migrate Ubuntu to Flatcar', async () => (await import('./auto-update.ts')).mdCommand)],
  ['serve', entry('browser mode: the UI in your browser, served on 127.0.0.1', async () => (await import('./serve.ts')).serveCommand)],
]);

/** A registry entry for a command already in memory (tests, and commands defined elsewhere). */
export function loadedEntry(summary: string, command: CliCommand): CommandEntry {
  return { summary, load: async () => command };
}
