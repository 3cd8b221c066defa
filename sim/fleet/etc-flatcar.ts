// The one writable directory the simulation models: /etc/flatcar (root-owned, on the persistent /etc overlay),
// where update.conf lives and where an atomic rewrite puts its temporary file before renaming it over.
// Everything under /usr is read-only; other /etc paths are not modelled.
export const ETC_FLATCAR = '/etc/flatcar';

export type WriteResult = 'written' | 'denied' | 'read-only';
export type RenameResult = 'renamed' | 'denied' | 'read-only' | 'missing';
export type RemoveResult = 'removed' | 'denied' | 'read-only' | 'missing';

function inEtcFlatcar(path: string): boolean {
  const name = path.slice(ETC_FLATCAR.length + 1);
  return path.startsWith(`${ETC_FLATCAR}/`) && name !== '' && !name.includes('/') && name !== '.' && name !== '..';
}

export class EtcFlatcar {
  private readonly files = new Map<string, string>();

  /** `updateConf`: /etc/flatcar/update.conf (tmpfiles.d creates it empty when nothing else wrote it). */
  constructor(updateConf: string) {
    this.files.set(`${ETC_FLATCAR}/update.conf`, updateConf);
  }

  read(path: string): string | null {
    return this.files.get(path) ?? null;
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  write(path: string, content: string, root: boolean): WriteResult {
    const access = this.access(path, root);
    if (access !== 'ok') return access;
    this.files.set(path, content);
    return 'written';
  }

  rename(from: string, to: string, root: boolean): RenameResult {
    const access = [this.access(from, root), this.access(to, root)].find((a) => a !== 'ok');
    if (access) return access;
    const content = this.files.get(from);
    if (content === undefined) return 'missing';
    this.files.delete(from);
    this.files.set(to, content);
    return 'renamed';
  }

  remove(path: string, root: boolean): RemoveResult {
    const access = this.access(path, root);
    if (access !== 'ok') return access;
    return this.files.delete(path) ? 'removed' : 'missing';
  }

  /** tmpfiles.d `f /etc/flatcar/update.conf 0644` at boot: created empty when missing, left alone otherwise. */
  ensureUpdateConf(): void {
    if (!this.files.has(`${ETC_FLATCAR}/update.conf`)) this.files.set(`${ETC_FLATCAR}/update.conf`, '');
  }

  private access(path: string, root: boolean): 'ok' | 'denied' | 'read-only' {
    if (!inEtcFlatcar(path)) return path.startsWith('/etc/') && !root ? 'denied' : 'read-only';
    return root ? 'ok' : 'denied';
  }
}
