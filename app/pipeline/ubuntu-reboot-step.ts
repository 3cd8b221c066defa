import { ApiError } from '../api/errors.ts';
import type { RebootRequired } from '../flatcar/ubuntu-reboot-required.ts';
import { coded, runStep, type NodeCtx } from './run-context.ts';

/** "linux-image-…, linux-base" or "2 packages" style wording for a reboot-required.pkgs list. */
export function packagesText(packages: readonly string[]): string {
  if (packages.length === 0) return 'packages it does not name (no reboot-required.pkgs)';
  return `${packages.length} package${packages.length === 1 ? '' : 's'}: ${packages.join(', ')}`;
}

/**
 * Step 2 of an Ubuntu node's reboot, in place of the download: what kured asks before it reboots a node, read
 * again inside the run (another reboot may have cleared it since it was offered). Nothing on the node changes;
 * the serial part then drains, reboots and verifies it by boot ID + Ready. Without the sentinel the node is
 * finished as current, unless the operator forced the reboot.
 */
export async function rebootRequiredStep(ctx: NodeCtx): Promise<'need-reboot' | 'current'> {
  return runStep(
    ctx,
    'update',
    coded('reboot.readingSentinel', { node: ctx.node }, `Reading /var/run/reboot-required on ${ctx.node}`),
    async (): Promise<{ read: RebootRequired; next: 'need-reboot' | 'current' }> => {
      const read = await ctx.ops.rebootRequired();
      return { read, next: read.required || ctx.rec.forced === true ? 'need-reboot' : 'current' };
    },
    ({ read, next }) => ({
      ...(read.required
        ? coded('reboot.required', { node: ctx.node, count: read.packages.length, packages: read.packages.join(', ') }, `${ctx.node} needs a reboot for ${packagesText(read.packages)}`)
        : next === 'current'
          ? coded('reboot.notRequired', { node: ctx.node }, `${ctx.node} no longer needs a reboot (no /var/run/reboot-required): nothing to do`)
          : coded('reboot.forced', { node: ctx.node }, `${ctx.node} has no /var/run/reboot-required; rebooting it as forced`)),
      detail: { rebootRequired: read.required, packages: read.packages.join(' ') },
    }),
  ).then((r) => r.next);
}

/** A reboot is for Ubuntu nodes only: a Flatcar node reboots into a release through update or rollback. */
export function refuseUnlessUbuntu(node: string, distribution: string, osImage: string): void {
  if (distribution === 'ubuntu') return;
  const why = distribution === 'flatcar'
    ? 'Flatcar nodes reboot through `flatdeck update` (into a staged release) or `flatdeck rollback`'
    : `flatdeck reboots Ubuntu nodes only (${osImage || 'unknown OS'})`;
  throw new ApiError('invalid-request', `${node} is not an Ubuntu node: ${why}`, { node, distribution });
}
