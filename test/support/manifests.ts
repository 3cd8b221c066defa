// Reads multi-document manifest files the project ships (deploy/*.yaml).
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { KubeManifest } from '../../sim/kubelet/workload.ts';

export const REPO_ROOT = new URL('../../', import.meta.url).pathname;

export function readManifests(relativePath: string): KubeManifest[] {
  const text = readFileSync(new URL(relativePath, new URL('../../', import.meta.url)), 'utf8');
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeManifest | null)
    .filter((m): m is KubeManifest => m !== null && typeof m === 'object' && typeof m.kind === 'string');
}
