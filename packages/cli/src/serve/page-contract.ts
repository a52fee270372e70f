// What the server and its web page (src/page/) agree on. Imported by both: keep it free of Node and DOM.

/**
 * The header that carries the page's secret. A page of another origin could
 * not send it without a preflight the server refuses, and has no secret to put
 * in it: a client holding only the cookie does not either.
 */
export const CSRF_HEADER = 'x-fleet-csrf';

/** The key of the page's secret in the fragment of the redirect that opens the page (`/#session=...`). */
export const PAGE_SECRET_KEY = 'session';
