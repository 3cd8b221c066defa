// Log lines as update_engine_client writes them to stderr (google/glog src/logging.cc LogMessage::Init): the
// thread id is printed with setw(5), so a 4-digit id follows two spaces. glog 0.6 (current Flatcar) writes the
// year, `I20251016 19:56:23.176596  1822 update_engine_client.cc:241] …`; the glog of 3510-era releases does
// not, `I0814 09:44:19.416771  3378 update_engine_client.cc:241] …`.
import { parseVersion } from './versions.ts';

export type GlogSeverity = 'I' | 'W' | 'E' | 'F';

// The newest release line of the fleet that still ships a glog without the year in its prefix.
const LAST_MAJOR_WITHOUT_YEAR = 3510;

export function glogWritesYear(version: string): boolean {
  return parseVersion(version).major > LAST_MAJOR_WITHOUT_YEAR;
}

export function glogLine(severity: GlogSeverity, nowMs: number, threadId: number, file: string, line: number, message: string, withYear = true): string {
  const d = new Date(nowMs);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const date = `${withYear ? d.getUTCFullYear() : ''}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
  const micros = pad(d.getUTCMilliseconds() * 1000 + Math.floor((nowMs % 1) * 1000), 6);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${micros}`;
  return `${severity}${date} ${time} ${String(threadId).padStart(5)} ${file}:${line}] ${message}\n`;
}

/** A double as C++ `operator<<` prints it with the default precision of 6 significant digits. */
export function cppStreamDouble(value: number): string {
  if (value === 0) return '0';
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  if (exponent < -4 || exponent >= 6) {
    const [mantissa = '', exp = '0'] = value.toExponential(5).split('e');
    const trimmed = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
    const sign = exp.startsWith('-') ? '-' : '+';
    return `${trimmed}e${sign}${exp.replace(/^[-+]/, '').padStart(2, '0')}`;
  }
  return String(Number(value.toPrecision(6)));
}
