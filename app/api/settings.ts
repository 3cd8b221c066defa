import { z } from 'zod';
import { UpdateOptions, type UpdateOverrides } from './pipeline.ts';
import { applyOverrides, withoutDefaults } from './schema-fields.ts';

export const AddressType = z.enum(['InternalIP', 'ExternalIP', 'Hostname', 'template']);

export const ClusterSshSettings = z.object({
  user: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/i).default('core'),
  addressType: AddressType.default('InternalIP'),
  /** Only `{name}` and `{address}` are substituted; used when addressType is "template". */
  addressTemplate: z.string().max(253).nullable().default(null),
  nodeOverrides: z.record(z.string(), z.string()).default({}),
  /** Like `ssh -J`: `[user@]host[:port]` hops, comma-separated; replaces ~/.ssh/config's ProxyJump for the nodes. */
  jumpHost: z.string().trim().min(1).nullable().default(null),
  /** Like `ssh -i`: tried before ~/.ssh/config's IdentityFile for the nodes. */
  identityFile: z.string().trim().min(1).nullable().default(null),
  useAgent: z.boolean().default(true),
});
export type ClusterSshSettings = z.infer<typeof ClusterSshSettings>;

/** The run defaults an operator can set come from UpdateOptions, so both always agree on the default. */
const run = UpdateOptions.shape;

export const Settings = z.object({
  language: z.enum(['en', 'de']).default('en'),
  theme: z.enum(['system', 'light', 'dark']).default('system'),
  sshConfigPath: z.string().nullable().default(null),
  knownHostsPath: z.string().nullable().default(null),
  ssh: ClusterSshSettings.prefault({}),
  /** The Lease that serializes updates; deploy/rbac.yaml grants exactly this namespace. */
  lock: z.object({ namespace: z.string().min(1).default('flatdeck-system'), name: z.string().min(1).default('flatdeck-update-lock') }).prefault({}),
  timeouts: z.object({ sshConnectSeconds: z.number().int().positive().default(15), rebootSeconds: run.rebootTimeoutSeconds }).prefault({}),
  drain: z
    .object({ timeoutSeconds: run.drainTimeoutSeconds, onTimeout: run.onDrainTimeout, emptyDirPolicy: run.emptyDirPolicy, unmanagedPodPolicy: run.unmanagedPodPolicy })
    .prefault({}),
  restoreUpdateEngine: run.restoreUpdateEngine,
  stagedUpdateOnStop: run.stagedUpdateOnStop,
  autoUpdateDisableMode: z.enum(['mask', 'server-disabled']).default('mask'),
  /** Per cluster id: a mirror of Flatcar's release feed (the folder holding releases-<channel>.json). */
  releaseFeeds: z.record(z.string(), z.url({ protocol: /^https?$/ })).default({}),
});
export type Settings = z.infer<typeof Settings>;

/**
 * A change to some top-level settings. Unlike `Settings.partial()`, a field left out stays as it is: the
 * defaults of `Settings` must not fill it in and so overwrite what the operator set before.
 */
export const SettingsPatch = z.object(withoutDefaults(Settings.shape));
export type SettingsPatch = z.infer<typeof SettingsPatch>;

/** The options of a run: the operator's Settings, then what the caller set for this run. */
export function updateOptionsFrom(settings: Settings, overrides: UpdateOverrides = {}): UpdateOptions {
  const fromSettings = {
    ...UpdateOptions.parse({}),
    drainTimeoutSeconds: settings.drain.timeoutSeconds,
    onDrainTimeout: settings.drain.onTimeout,
    emptyDirPolicy: settings.drain.emptyDirPolicy,
    unmanagedPodPolicy: settings.drain.unmanagedPodPolicy,
    restoreUpdateEngine: settings.restoreUpdateEngine,
    stagedUpdateOnStop: settings.stagedUpdateOnStop,
    rebootTimeoutSeconds: settings.timeouts.rebootSeconds,
  };
  return applyOverrides(fromSettings, overrides);
}

export const KnownHostEntry = z.object({
  host: z.string(),
  port: z.number().int(),
  keyType: z.string(),
  fingerprint: z.string(),
  hashed: z.boolean(),
});

export const settingsMethods = {
  'settings.get': { params: z.object({}).default({}), result: Settings },
  'settings.set': { params: SettingsPatch, result: Settings },
  'knownHosts.list': { params: z.object({}).default({}), result: z.array(KnownHostEntry) },
  'knownHosts.remove': { params: z.object({ host: z.string(), port: z.number().int().default(22) }), result: z.object({ removed: z.number().int() }) },
} as const;
