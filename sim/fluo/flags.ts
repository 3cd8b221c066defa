// A FLUO container's configuration as its binaries read it (cmd/update-agent, cmd/update-operator): Go flags
// from the container's command and args, and for flags not given there UPDATE_AGENT_*/UPDATE_OPERATOR_*
// environment variables (coreos/pkg flagutil.SetFlagsFromEnv). Only literal env values are seen.
export interface ContainerSpec {
  image?: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string }>;
}

export type FluoBinary = 'update-agent' | 'update-operator';

const IMAGE = /(^|\/)flatcar-linux-update-operator(:|@|$)/;

/** Which FLUO binary a container runs, if it is one of FLUO's. */
export function fluoBinaryOf(container: ContainerSpec): FluoBinary | null {
  if (!IMAGE.test(container.image ?? '')) return null;
  const argv0 = container.command?.[0] ?? '';
  if (argv0.endsWith('/update-agent')) return 'update-agent';
  if (argv0.endsWith('/update-operator')) return 'update-operator';
  return null;
}

/** Flag values by name: `-name=v`, `--name=v`, `-name v`; environment for the rest. */
export function readFlags(container: ContainerSpec, envPrefix: string, names: readonly string[], booleans: readonly string[] = []): Map<string, string> {
  const argv = [...(container.command ?? []).slice(1), ...(container.args ?? [])];
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(argv[i] as string);
    if (!m) break; // Go's flag package stops at the first non-flag argument
    const name = m[1] as string;
    if (m[2] !== undefined) values.set(name, m[2]);
    else if (booleans.includes(name)) values.set(name, 'true');
    else if (i + 1 < argv.length) values.set(name, argv[++i] as string);
  }
  for (const name of names) {
    if (values.has(name)) continue;
    const env = container.env?.find((e) => e.name === `${envPrefix}_${name.toUpperCase().replaceAll('-', '_')}`)?.value;
    if (env) values.set(name, env);
  }
  return values;
}

/** flagutil.StringSliceFlag: comma-separated, empty entries dropped. */
export function stringSlice(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** Go strconv.ParseBool */
export function goBool(value: string | undefined): boolean {
  return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value ?? '');
}
