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

/**
 * The page's own policy, in place of the one above on its files: its script
 * and style from this server only (no inline script or style, no `eval`),
 * requests to this server only, no form posted anywhere, no `<base>`, and
 * still no framing.
 */
export const PAGE_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
