// Bearer-token authentication: each kubeconfig the server hands out carries its own token.
import { randomBytes } from 'node:crypto';

export interface UserInfo { name: string; groups: string[] }

export class TokenAuthenticator {
  private readonly tokens = new Map<string, UserInfo>();

  issue(name: string, groups: readonly string[]): string {
    const token = randomBytes(24).toString('base64url');
    const all = [...groups.filter((g) => g !== 'system:authenticated'), 'system:authenticated'];
    this.tokens.set(token, { name, groups: all });
    return token;
  }

  /**
   * The user a request acts as: its token's user; system:anonymous when it carries no credentials (anonymous auth
   * is on, as by default); undefined for an unknown token (401).
   */
  authenticate(authorization: string | undefined): UserInfo | undefined {
    if (authorization === undefined || authorization === '') return { name: 'system:anonymous', groups: ['system:unauthenticated'] };
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return m ? this.tokens.get(m[1] as string) : undefined;
  }
}
