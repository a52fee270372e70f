/**
 * A Redis URL (or cluster seed list) fit to print: whatever stands between
 * the scheme and the last `@` loses its password, `redis://user:***@host`.
 * It works on text that is not a valid URL too, since a malformed URL is
 * exactly the one an error message quotes; with no `:` there, the whole user
 * part is hidden, as ioredis reads `redis://secret@host` as a password.
 * Without an `@`, a part that does not read as `host[:port]` (a typo such as
 * `redis://user:secret`) keeps only what stands before its `:`; and a
 * `password=` query parameter, which ioredis also reads, is hidden.
 */
export function redactedUrl(text: string): string {
  const withoutQuerySecret = text.replace(/([?&]password=)[^&#]*/gi, '$1***');
  const at = withoutQuerySecret.lastIndexOf('@');
  if (at < 0) return withoutUserInfoTypos(withoutQuerySecret);
  const scheme = withoutQuerySecret.indexOf('://');
  const start = scheme >= 0 && scheme < at ? scheme + 3 : 0;
  const userInfo = withoutQuerySecret.slice(start, at);
  const colon = userInfo.indexOf(':');
  const shown = colon < 0 ? '***' : `${userInfo.slice(0, colon)}:***`;
  return `${withoutQuerySecret.slice(0, start)}${shown}${withoutQuerySecret.slice(at)}`;
}

/** Each comma-separated part of the authority that is not `host[:port]` shows only what precedes its `:`. */
function withoutUserInfoTypos(text: string): string {
  const scheme = text.indexOf('://');
  const start = scheme >= 0 ? scheme + 3 : 0;
  const end = text.slice(start).search(/[/?#]/);
  const stop = end < 0 ? text.length : start + end;
  const parts = text
    .slice(start, stop)
    .split(',')
    .map((part) => (/^\s*(\[[^\]]*\]|[^:[\]]*)(:\d*)?\s*$/.test(part) ? part : `${part.slice(0, part.indexOf(':'))}:***`));
  return `${text.slice(0, start)}${parts.join(',')}${text.slice(stop)}`;
}
