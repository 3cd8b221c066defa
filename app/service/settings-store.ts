import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { applyOverrides } from '../api/schema-fields.ts';
import { Settings, type SettingsPatch } from '../api/settings.ts';

export interface SettingsProblem {
  file: string;
  keptAs: string;
  message: string;
}

/**
 * settings.json in the data folder, validated on load. A file that does not parse or validate is moved aside
 * (settings.json.invalid-<time>) and reported; flatdeck then starts from defaults instead of silently losing it.
 */
export class SettingsStore {
  private current: Settings;
  readonly problem: SettingsProblem | null = null;
  private readonly listeners = new Set<(s: Settings) => void>();

  constructor(private readonly file: string) {
    const loaded = SettingsStore.read(file);
    this.current = loaded.settings;
    this.problem = loaded.problem;
  }

  private static read(file: string): { settings: Settings; problem: SettingsProblem | null } {
    const defaults = Settings.parse({});
    if (!existsSync(file)) return { settings: defaults, problem: null };
    let message: string;
    try {
      const parsed = Settings.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (parsed.success) return { settings: parsed.data, problem: null };
      message = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    } catch (err) {
      message = (err as Error).message;
    }
    const keptAs = `${file}.invalid-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(file, keptAs);
    return { settings: defaults, problem: { file, keptAs, message: `${file} is not valid (${message}); it was kept as ${keptAs} and defaults are used.` } };
  }

  get(): Settings {
    return this.current;
  }

  onChange(listener: (s: Settings) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Top-level keys replace the stored ones (the patch was validated at the API boundary), then it is written.
   * Only what differs from the defaults is written, so a default a later flatdeck changes (as the Lease's
   * namespace moved from kube-system to flatdeck-system) reaches everyone who never chose otherwise.
   */
  set(patch: SettingsPatch): Settings {
    const next = applyOverrides(this.current, patch);
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(differingFrom(Settings.parse({}), next), null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
    this.current = next;
    for (const l of this.listeners) l(this.current);
    return this.current;
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The parts of `value` that differ from `defaults`, field by field inside nested objects; a map is kept whole. */
function differingFrom(defaults: Record<string, unknown>, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const d = defaults[key];
    if (isPlainObject(v) && isPlainObject(d) && Object.keys(d).length > 0) {
      const inner = differingFrom(d, v);
      if (Object.keys(inner).length > 0) out[key] = inner;
    } else if (JSON.stringify(v) !== JSON.stringify(d)) {
      out[key] = v;
    }
  }
  return out;
}
