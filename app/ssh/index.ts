export { SshPool, type SshPoolOptions } from './pool.ts';
export type { SshTarget, ExecResult, SshPrompter } from './types.ts';
export { SshError, type SshErrorKind, type SshErrorFacts } from './errors.ts';
export { SshConfigFile, parseProxyJump, type HostConfig, type JumpHost } from './ssh-config.ts';
export { KnownHosts, appendKnownHost, removeKnownHost, knownHostName, formatKnownHostLine, type HostKeyCheck } from './known-hosts.ts';
export { sha256Fingerprint } from './fingerprint.ts';
export { resolveSshTarget, validateTemplate, isValidHost, type AddressSetting, type NodeOverride, type NodeAddresses, type AddressResult } from './address.ts';
export { defaultIdentityFiles } from './auth.ts';
export type { HostKeyPolicy } from './host-key-verifier.ts';
