// Log lines as update_engine_client writes them to stderr (glog, current format with a 4-digit year):
// I20251016 23:21:35.021710 2584180 update_engine_client.cc:241] Querying Update Engine status...
export type GlogSeverity = 'I' | 'W' | 'E' | 'F';

export function glogLine(severity: GlogSeverity, nowMs: number, threadId: number, file: string, line: number, message: string): string {
  const d = new Date(nowMs);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const date = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
  const micros = pad(d.getUTCMilliseconds() * 1000 + Math.floor((nowMs % 1) * 1000), 6);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${micros}`;
  return `${severity}${date} ${time} ${threadId} ${file}:${line}] ${message}\n`;
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
