/**
 * A Redis URL (or cluster seed list) fit to print: whatever stands between
 * the scheme and the last `@` loses its password, `redis://user:***@host`.
 * It works on text that is not a valid URL too, since a malformed URL is
 * exactly the one an error message quotes; with no `:` there, the whole user
 * part is hidden, as ioredis reads `redis://secret@host` as a password.
 */
export function redactedUrl(text: string): string {
  const at = text.lastIndexOf('@');
  if (at < 0) return text;
  const scheme = text.indexOf('://');
  const start = scheme >= 0 && scheme < at ? scheme + 3 : 0;
  const userInfo = text.slice(start, at);
  const colon = userInfo.indexOf(':');
  const shown = colon < 0 ? '***' : `${userInfo.slice(0, colon)}:***`;
  return `${text.slice(0, start)}${shown}${text.slice(at)}`;
}
