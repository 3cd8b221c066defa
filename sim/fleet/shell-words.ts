// Splits an SSH exec command line into words the way a POSIX shell tokenises quoting (single quotes,
// double quotes, backslashes). Nothing is expanded or executed: operators such as ; | && $( ) and
// backticks stay literal characters inside words.
export type SplitResult = { ok: true; words: string[] } | { ok: false; unterminated: "'" | '"' };

const DOUBLE_QUOTE_ESCAPABLE = new Set(['$', '`', '"', '\\', '\n']);

export function splitShellWords(line: string): SplitResult {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i] as string;
    if (ch === ' ' || ch === '\t' || ch === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (ch === '\\') {
      const next = line[i + 1];
      if (next === undefined) {
        word += '\\';
        inWord = true;
      } else if (next !== '\n') {
        word += next;
        inWord = true;
      }
      i += 2;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { ok: false, unterminated: "'" };
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      let j = i + 1;
      for (;;) {
        const c = line[j];
        if (c === undefined) return { ok: false, unterminated: '"' };
        if (c === '"') break;
        if (c === '\\' && line[j + 1] !== undefined && DOUBLE_QUOTE_ESCAPABLE.has(line[j + 1] as string)) {
          if (line[j + 1] !== '\n') word += line[j + 1];
          j += 2;
        } else {
          word += c;
          j++;
        }
      }
      inWord = true;
      i = j + 1;
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return { ok: true, words };
}
