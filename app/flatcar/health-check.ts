import { command, type Command } from './command.ts';

const MAX_SCRIPT_CHARS = 4096;

/**
 * The operator's own post-reboot health check, run by `sh -c` as the SSH user. This is the one command whose
 * text is not fixed here: it comes verbatim from the operator's settings and is never assembled from node
 * names, addresses or any other cluster data.
 */
export function healthCheck(script: string): Command {
  if (script.trim() === '') throw new RangeError('the health check script is empty');
  if (script.length > MAX_SCRIPT_CHARS) throw new RangeError(`the health check script is longer than ${MAX_SCRIPT_CHARS} characters`);
  return command(['sh', '-c', script]);
}
