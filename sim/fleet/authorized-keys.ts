// ~core/.ssh/authorized_keys, shared by every node of the fleet.
import ssh2 from 'ssh2';
import type { ParsedKey, PublicKey } from 'ssh2';

export class AuthorizedKeys {
  private readonly keys: { line: string; parsed: ParsedKey }[] = [];

  constructor(lines: readonly string[] = []) {
    for (const line of lines) this.add(line);
  }

  /** Adds one public key line (`ssh-ed25519 AAAA… comment`); throws if it is not a public key. */
  add(line: string): void {
    const parsed = ssh2.utils.parseKey(line.trim());
    if (parsed instanceof Error || parsed.isPrivateKey()) throw new Error(`not an OpenSSH public key: ${line.slice(0, 40)}`);
    if (!this.keys.some((k) => k.parsed.getPublicSSH().equals(parsed.getPublicSSH()))) this.keys.push({ line: line.trim(), parsed });
  }

  find(offered: PublicKey): ParsedKey | undefined {
    return this.keys.find((k) => k.parsed.type === offered.algo && k.parsed.getPublicSSH().equals(offered.data))?.parsed;
  }

  lines(): string[] {
    return this.keys.map((k) => k.line);
  }
}
