/**
 * Host text made safe to show on a terminal, as `cat -v` shows it: what a
 * host prints must not move the cursor, clear or retitle the screen, or
 * forge another host's prefix. Control characters become visible, in
 * `cat -v`'s forms: C0 as `^@`..`^_` (ESC is `^[`), DEL as `^?`, and a byte
 * with the high bit set as `M-` and the form of the byte without it (C1's
 * CSI, 0x9b, is `M-^[`). Tab and newline stay, and so does a carriage return
 * that ends a line (`\r\n` moves nothing a newline would not); a bare `\r`
 * is `^M`. Unlike `cat -v`, well-formed UTF-8 stays as it is, so that text
 * in any language reads as written, except the C1 controls (U+0080..U+009F),
 * whose two bytes are shown as `cat -v` shows them (`M-BM-^[`). Bytes that
 * are not UTF-8 are shown one by one.
 *
 * Text is bytes held in a Latin-1 string (one character a byte), as the
 * printers hold output; the result is too.
 */
export function escapeTerminalBytes(bytes: string): string {
  if (!NEEDS_LOOK.test(bytes) && !(bytes.includes('\r') && BARE_CR.test(bytes))) return bytes;
  const shown: string[] = [];
  let kept = 0;
  let at = 0;
  while (at < bytes.length) {
    const code = bytes.charCodeAt(at);
    if (code >= 0x20 && code < 0x7f) {
      at += 1;
      continue;
    }
    const safe = code === 0x0a || code === 0x09 || (code === 0x0d && bytes.charCodeAt(at + 1) === 0x0a) ? 1 : safeUtf8Length(bytes, at);
    if (safe > 0) {
      at += safe;
      continue;
    }
    const length = code === 0xc2 && isContinuation(bytes.charCodeAt(at + 1)) ? 2 : 1;
    shown.push(bytes.slice(kept, at));
    for (let index = at; index < at + length; index += 1) shown.push(CAT_V[bytes.charCodeAt(index)] as string);
    at += length;
    kept = at;
  }
  if (kept === 0) return bytes;
  shown.push(bytes.slice(kept));
  return shown.join('');
}

/** {@link escapeTerminalBytes} for text that is a JavaScript string (a reason, a job's name or command, a message). */
export function escapeTerminalText(text: string): string {
  if (!NEEDS_LOOK_TEXT.test(text)) return text;
  return Buffer.from(escapeTerminalBytes(Buffer.from(text).toString('latin1')), 'latin1').toString();
}

/**
 * One field of a line fleet writes (a host in a header, a cell of a table):
 * {@link escapeTerminalText}, and a newline shown as `^J` as well, so that
 * text from Redis can neither start a line of its own nor end one early.
 */
export function escapeTerminalField(text: string): string {
  return text.includes('\n') ? text.split('\n').map(escapeTerminalText).join('^J') : escapeTerminalText(text);
}

/** Anything but printable ASCII, tab, newline and `\r` (looked at apart: one regular expression with both is slower). */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const NEEDS_LOOK = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xff]/;
/** A `\r` that does not end a line. */
const BARE_CR = /\r(?!\n)/;
/** The same for a JavaScript string: C0, DEL and C1 controls, and a bare `\r`. */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const NEEDS_LOOK_TEXT = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)/;

/** Each byte as `cat -v` shows it. */
const CAT_V = Array.from({ length: 256 }, (_, code) => catV(code));

function catV(code: number): string {
  const high = code >= 0x80 ? 'M-' : '';
  const low = code & 0x7f;
  if (low === 0x7f) return `${high}^?`;
  if (low < 0x20) return `${high}^${String.fromCharCode(low + 0x40)}`;
  return `${high}${String.fromCharCode(low)}`;
}

function isContinuation(code: number): boolean {
  return code >= 0x80 && code <= 0xbf;
}

/**
 * The length of the well-formed UTF-8 character at `at` that is not a C1
 * control, or 0. Bounds as in the Unicode standard's table 3-7 (no overlong
 * forms, no surrogates, nothing past U+10FFFF).
 */
function safeUtf8Length(bytes: string, at: number): number {
  const lead = bytes.charCodeAt(at);
  const second = bytes.charCodeAt(at + 1);
  let length: number;
  let secondLow = 0x80;
  let secondHigh = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    if (lead === 0xc2) secondLow = 0xa0; // U+0080..U+009F are the C1 controls
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) secondLow = 0xa0;
    if (lead === 0xed) secondHigh = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) secondLow = 0x90;
    if (lead === 0xf4) secondHigh = 0x8f;
  } else {
    return 0;
  }
  if (!(second >= secondLow && second <= secondHigh)) return 0;
  for (let index = at + 2; index < at + length; index += 1) if (!isContinuation(bytes.charCodeAt(index))) return 0;
  return length;
}

/**
 * JSON text with DEL and the C1 controls written as `\u` escapes: the same
 * value, but nothing a terminal obeys (JSON.stringify escapes only C0).
 */
export function escapeJsonControls(json: string): string {
  return json.replace(/[\u007f-\u009f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
