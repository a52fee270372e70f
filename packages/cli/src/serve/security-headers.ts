/**
 * Headers on every answer of `fleet serve`, refusals and errors included: no
 * content sniffing (output is NDJSON of a host's bytes, never a page), no
 * script, style, frame or fetch from anything it serves, no framing by another
 * page, and no Referer (a URL may carry `?token=`).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};
