import { homedir } from 'node:os';
import { join } from 'node:path';
import { removeKnownHost } from '../ssh/known-hosts.ts';
import type { MethodModule, ServiceContext } from './context.ts';
import { listKnownHosts } from './known-hosts-list.ts';
import { parseJumpHostSetting } from './ssh-access.ts';

function knownHostsFile(ctx: ServiceContext): string {
  return ctx.options.knownHostsPath ?? ctx.settings.get().knownHostsPath ?? join(homedir(), '.ssh', 'known_hosts');
}

export const settingsMethods: MethodModule = (ctx) => ({
  'settings.get': async () => ctx.settings.get(),
  'settings.set': async (patch) => {
    if (patch.ssh?.jumpHost) parseJumpHostSetting(patch.ssh.jumpHost);
    const next = ctx.settings.set(patch);
    const fields = Object.keys(patch).join(', ') || 'nothing';
    ctx.activity.record('settings-changed', `Settings changed: ${fields}`, {}, { params: { fields } });
    return next;
  },
  'knownHosts.list': async () => listKnownHosts(knownHostsFile(ctx)),
  'knownHosts.remove': async ({ host, port }) => {
    const file = knownHostsFile(ctx);
    const removed = await removeKnownHost(file, host, port);
    ctx.activity.record('known-host-removed', `Removed ${removed} key line(s) for ${host}:${port} from ${file}`, {}, { params: { count: removed, host, port, file } });
    return { removed };
  },
});
