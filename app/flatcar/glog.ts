export type LogLevel = 'info' | 'warning' | 'error' | 'fatal';

export interface GlogLine {
  level: LogLevel;
  source: string;   // `update_engine_client.cc:241`
  message: string;
}

const LEVEL_BY_LETTER: Record<string, LogLevel> = { I: 'info', W: 'warning', E: 'error', F: 'fatal' };
const LEVEL_BY_WORD: Record<string, LogLevel> = { INFO: 'info', WARNING: 'warning', ERROR: 'error', FATAL: 'fatal' };

// `I20251016 23:21:35.021710 2584180 file.cc:241] msg` (4-digit year, current) and
// `I0530 15:38:14.290454  2224 file.cc:241] msg` (older releases).
const GLOG = /^([IWEF])(?:\d{8}|\d{4}) \d{2}:\d{2}:\d{2}\.\d{6}\s+\d+ ([^\s\]]+:\d+)\] ?(.*)$/;
// CoreOS era: `[0123/220706:INFO:update_engine_client.cc(245)] msg`
const CHROMIUM_LOG = /^\[\d{4}\/\d{6}:(INFO|WARNING|ERROR|FATAL):([^\]()]+)\((\d+)\)\] ?(.*)$/;

export function parseGlogLine(line: string): GlogLine | undefined {
  const g = GLOG.exec(line);
  if (g) return { level: LEVEL_BY_LETTER[g[1]!]!, source: g[2]!, message: g[3]! };
  const c = CHROMIUM_LOG.exec(line);
  if (c) return { level: LEVEL_BY_WORD[c[1]!]!, source: `${c[2]}:${c[3]}`, message: c[4]! };
  return undefined;
}
