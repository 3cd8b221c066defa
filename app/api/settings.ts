import { z } from 'zod';

export const AddressType = z.enum(['InternalIP', 'ExternalIP', 'Hostname', 'template']);

export const ClusterSshSettings = z.object({
  user: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/i).default('core'),
  addressType: AddressType.default('InternalIP'),
  /** Only `{name}` and `{address}` are substituted; used when addressType is "template". */
  addressTemplate: z.string().max(253).nullable().default(null),
  nodeOverrides: z.record(z.string(), z.string()).default({}),
  jumpHost: z.string().nullable().default(null),
  identityFile: z.string().nullable().default(null),
  useAgent: z.boolean().default(true),
});
export type ClusterSshSettings = z.infer<typeof ClusterSshSettings>;

export const Settings = z.object({
  language: z.enum(['en', 'de']).default('en'),
  theme: z.enum(['system', 'light', 'dark']).default('system'),
  sshConfigPath: z.string().nullable().default(null),
  knownHostsPath: z.string().nullable().default(null),
  ssh: ClusterSshSettings.default(ClusterSshSettings.parse({})),
  lock: z.object({ namespace: z.string().default('kube-system'), name: z.string().default('flatdeck-update-lock') }).default({
    namespace: 'kube-system',
    name: 'flatdeck-update-lock',
  }),
  timeouts: z
    .object({ sshConnectSeconds: z.number().int().positive().default(15), rebootSeconds: z.number().int().positive().default(900) })
    .default({ sshConnectSeconds: 15, rebootSeconds: 900 }),
  drain: z
    .object({
      timeoutSeconds: z.number().int().positive().default(600),
      onTimeout: z.enum(['stop', 'skip', 'force']).default('stop'),
      emptyDirPolicy: z.enum(['refuse', 'delete']).default('refuse'),
      unmanagedPodPolicy: z.enum(['refuse', 'delete']).default('refuse'),
    })
    .default({ timeoutSeconds: 600, onTimeout: 'stop', emptyDirPolicy: 'refuse', unmanagedPodPolicy: 'refuse' }),
  restoreUpdateEngine: z.enum(['restore', 'leave-enabled']).default('restore'),
  autoUpdateDisableMode: z.enum(['mask', 'server-disabled']).default('mask'),
  /** Per cluster id: a mirror of Flatcar's release feed (the folder holding releases-<channel>.json). */
  releaseFeeds: z.record(z.string(), z.url({ protocol: /^https?$/ })).default({}),
});
export type Settings = z.infer<typeof Settings>;

/**
 * A change to some top-level settings. Unlike `Settings.partial()`, a field left out stays as it is: the
 * defaults of `Settings` must not fill it in and so overwrite what the operator set before.
 */
export const SettingsPatch = z.object(
  Object.fromEntries(
    Object.entries(Settings.shape).map(([key, field]) => [key, (field instanceof z.ZodDefault ? field.unwrap() : field).optional()]),
  ) as unknown as { [K in keyof typeof Settings.shape]: z.ZodOptional<z.ZodType<z.output<(typeof Settings.shape)[K]>>> },
);
export type SettingsPatch = z.infer<typeof SettingsPatch>;

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
