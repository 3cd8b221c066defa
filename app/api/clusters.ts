import { z } from 'zod';
import { ApiErrorInfo } from './errors.ts';

export const ClusterId = z.string().min(1).max(253);
export type ClusterId = z.infer<typeof ClusterId>;

export const ConnectionState = z.enum(['disconnected', 'connecting', 'connected', 'offline', 'error']);
export type ConnectionState = z.infer<typeof ConnectionState>;

export const ClusterSummary = z.object({
  id: ClusterId,
  /** Context name, or "demo" for the built-in simulated cluster. */
  name: z.string(),
  source: z.enum(['kubeconfig', 'demo']),
  server: z.string(),
  kubeconfigPath: z.string().nullable(),
  state: ConnectionState,
  error: ApiErrorInfo.nullable(),
  nodeCount: z.number().int().nonnegative().nullable(),
});
export type ClusterSummary = z.infer<typeof ClusterSummary>;

export const ConnectParams = z.object({ cluster: ClusterId });

/** What reading the kubeconfig files found beyond the clusters: kubectl's current-context and what to warn about. */
export const KubeconfigOverview = z.object({
  /** The cluster id of the current-context, if it names one. */
  currentCluster: ClusterId.nullable(),
  warnings: z.array(z.object({ file: z.string(), message: z.string() })),
});
export type KubeconfigOverview = z.infer<typeof KubeconfigOverview>;
