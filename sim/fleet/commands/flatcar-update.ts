// flatcar-update as flatcar/init bin/flatcar-update (flatcar-master 3298243) runs it for `--to-version V
// [--disable-afterwards]`: unmask and start update-engine, refuse while an update is staged, point SERVER at a
// local fake Omaha that offers exactly V (whatever the channel or version order), download V's payload (a 404
// for a release that does not exist ends the script under `set -e`, leaving SERVER pointing at localhost),
// `update_engine_client -update`, then put back the previous SERVER line or write SERVER=disabled.
import { runCommandLine } from '../shell.ts';
import type { Invocation, ProcessIO, SimCommand } from './process.ts';

const UPDATE_CONF = '/etc/flatcar/update.conf';
const LOCAL_SERVER = 'SERVER=http://localhost:9090/update';
const PAYLOAD = '/var/tmp/flatcar-update/flatcar_production_update.gz';

/** getopt's long options the script knows; only these two change what the simulation does. */
function parse(args: readonly string[]): { version: string; disableAfterwards: boolean } | { error: string } {
  let version = '';
  let disableAfterwards = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-V' || a === '--to-version') version = args[++i] ?? '';
    else if (a.startsWith('--to-version=')) version = a.slice('--to-version='.length);
    else if (a === '-A' || a === '--disable-afterwards') disableAfterwards = true;
    else if (a.startsWith('-')) return { error: `flatcar-update: unrecognized option '${a}'\n` };
    else return { error: `Error: unexpected extra argumuents: ${args.slice(i).join(' ')}\n` };
  }
  if (version === '') return { error: 'Error: must specify --to-version\n' };
  return { version, disableAfterwards };
}

const quiet = (io: ProcessIO): ProcessIO => ({ ...io, stdout: () => undefined, stderr: () => undefined });

/** `sed -i "/SERVER=.*\/d"`: every line that contains SERVER= goes, commented ones too. */
const withoutServer = (text: string) => text.split('\n').filter((l, i, all) => !(i === all.length - 1 && l === '') && !l.includes('SERVER=')).map((l) => `${l}\n`).join('');

export const flatcarUpdate: SimCommand = async (inv: Invocation) => {
  const { host, io } = inv;
  const parsed = parse(inv.argv.slice(1));
  if ('error' in parsed) {
    io.stderr(parsed.error);
    return 1;
  }
  if (!inv.root) {
    io.stderr(`Need to be root: sudo ${inv.argv[0]} ${inv.argv.slice(1).map((a) => `'${a}'`).join(' ')} --\n`);
    return 1;
  }
  const conf = () => host.etcFlatcar?.read(UPDATE_CONF) ?? '';
  const write = (text: string) => host.etcFlatcar?.write(UPDATE_CONF, text, true);
  const group = /^GROUP=.*$/m.exec(conf())?.[0];
  if (group) io.stderr(`Warning: found hardcoded ${group} in /etc/flatcar/update.conf - make sure it fits the release channel you want to follow\n`);
  // set -e: a failing systemctl ends the script
  for (const step of ['systemctl unmask update-engine', 'systemctl start update-engine']) {
    const code = await runCommandLine(step, host, io, 'bash', true);
    if (code !== 0) return code;
  }
  if (host.updateEngine()?.status().currentOperation === 'UPDATE_STATUS_UPDATED_NEED_REBOOT') {
    io.stderr("Error: a previously downloaded update wasn't applied yet, you can discard it with 'update_engine_client -reset_status'\n");
    return 1;
  }
  const previousServer = /^SERVER=.*$/m.exec(conf())?.[0] ?? '';
  write(`${withoutServer(conf())}${LOCAL_SERVER}\n`);
  io.stdout('Downloading update payloads...\n');
  const payload = host.releasePayload(parsed.version);
  if (!payload) {
    io.stderr('curl: (22) The requested URL returned error: 404\n');
    return 22;
  }
  io.stdout(`When restarting after an error you may reuse them with '--to-payload ${PAYLOAD} --extension '\n`);
  io.stdout('Forcing update...\n');
  host.serveLocalUpdate(payload);
  let staged = false;
  try {
    const updated = await runCommandLine('update_engine_client -update', host, quiet(io), 'bash', true);
    staged = updated === 0 && host.updateEngine()?.status().currentOperation === 'UPDATE_STATUS_UPDATED_NEED_REBOOT';
  } finally {
    host.serveLocalUpdate(null);
  }
  let restored = withoutServer(conf());
  if (parsed.disableAfterwards) {
    io.stdout('Setting SERVER=disabled in /etc/flatcar/update.conf\n');
    restored += 'SERVER=disabled\n';
  } else if (previousServer) restored += `${previousServer}\n`;
  write(restored);
  if (!staged) {
    io.stderr('Error: update failed\n');
    return 1;
  }
  io.stdout(`Removing payload ${PAYLOAD} \n`);
  io.stdout('Done, please make sure to reboot either manually or through your reboot manager (check locksmithd/FLUO)\n');
  return 0;
};
