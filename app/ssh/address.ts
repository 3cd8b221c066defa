import { isIP } from 'node:net';
import type { SshTarget } from './types.ts';

/** Which address of a Node flatdeck dials, per cluster. */
export type AddressSetting =
  | { kind: 'InternalIP' }
  | { kind: 'ExternalIP' }
  | { kind: 'Hostname' }
  | { kind: 'template'; template: string }; // `{name}.nodes.example.org`, `{address}`

export interface NodeOverride {
  host?: string;
  port?: number;
  user?: string;
}

/** The parts of a Kubernetes Node this needs (status.addresses as the API returns them). */
export interface NodeAddresses {
  name: string;
  addresses: ReadonlyArray<{ type: string; address: string }>;
}

export type AddressResult = { ok: true; target: SshTarget } | { ok: false; message: string };

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DNS_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);
const PLACEHOLDER = /\{([^}]*)\}/g;
const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;

/** A host we would put on the wire: an IP address or a DNS name, nothing else. */
export function isValidHost(host: string): boolean {
  return host.length <= 253 && (isIP(host) !== 0 || DNS_NAME.test(host));
}

/** A template may use only `{name}` and `{address}` (the InternalIP). */
export function validateTemplate(template: string): string | undefined {
  for (const [, name] of template.matchAll(PLACEHOLDER)) {
    if (name !== 'name' && name !== 'address') return `unknown placeholder {${name}} (use {name} or {address})`;
  }
  const sample = template.replaceAll('{name}', 'node-1').replaceAll('{address}', '10.0.0.1');
  if (sample.includes('{') || sample.includes('}')) return 'unbalanced braces';
  return isValidHost(sample) ? undefined : `"${template}" does not produce a host name`;
}

function addressOf(node: NodeAddresses, type: string): string | undefined {
  return node.addresses.find((a) => a.type === type)?.address;
}

function hostFor(node: NodeAddresses, setting: AddressSetting): AddressResult | string {
  switch (setting.kind) {
    case 'InternalIP':
    case 'ExternalIP':
    case 'Hostname': {
      const address = addressOf(node, setting.kind);
      return address ?? { ok: false, message: `Node ${node.name} has no ${setting.kind} address` };
    }
    case 'template': {
      const problem = validateTemplate(setting.template);
      if (problem) return { ok: false, message: `SSH address template: ${problem}` };
      const internal = addressOf(node, 'InternalIP');
      if (setting.template.includes('{address}') && internal === undefined) {
        return { ok: false, message: `Node ${node.name} has no InternalIP for {address}` };
      }
      return setting.template.replaceAll('{name}', node.name).replaceAll('{address}', internal ?? '');
    }
  }
}

/** Where to SSH for one node; the per-node override wins. Every host and user is validated. */
export function resolveSshTarget(node: NodeAddresses, setting: AddressSetting, override: NodeOverride = {}): AddressResult {
  const host = override.host ?? hostFor(node, setting);
  if (typeof host !== 'string') return host;
  if (!isValidHost(host)) return { ok: false, message: `"${host}" for node ${node.name} is not a valid host name or IP address` };
  if (override.port !== undefined && !(Number.isInteger(override.port) && override.port > 0 && override.port < 65536)) {
    return { ok: false, message: `port ${override.port} for node ${node.name} is not a TCP port` };
  }
  if (override.user !== undefined && !USER.test(override.user)) {
    return { ok: false, message: `"${override.user}" for node ${node.name} is not a valid user name` };
  }
  const target: SshTarget = { nodeName: node.name, host };
  if (override.port !== undefined) target.port = override.port;
  if (override.user !== undefined) target.user = override.user;
  return { ok: true, target };
}
