import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

// C0 controls except tab and newline, DEL, C1 controls, and the bidirectional overrides that reorder what is shown.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text the terminal shows as-is: node-controlled strings (annotations, update_engine output, error messages
 * that quote them) could otherwise carry escape sequences that rewrite the screen or the window title.
 */
export function stripControl(text: string): string {
  return text.replace(UNSAFE, '');
}

/**
 * A stream that passes everything through stripControl to `target`, at once and in order (a multi-byte
 * character split across chunks is kept whole).
 */
export function controlStripping(target: NodeJS.WritableStream): Writable {
  const decoder = new StringDecoder('utf8');
  const pass = (text: string) => {
    if (text !== '') target.write(stripControl(text));
  };
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      pass(decoder.write(chunk));
      done();
    },
    final(done) {
      pass(decoder.end());
      done();
    },
  });
}
