import { createHash, timingSafeEqual } from 'node:crypto';
import { CSRF_HEADER } from './page-contract.js';

/** What the guard knows of the server: its secrets and the names it answers to. */
export interface GuardConfig {
  /** The access token printed in the URL. */
  token: string;
  /** The session cookie's value, set when the URL with the token is opened. */
  session: string;
  /**
   * The page's secret: handed to the page once, when the URL with the token
   * is opened (in the redirect's fragment), kept in its `sessionStorage`, and
   * sent in {@link CSRF_HEADER}. With the cookie it is what lets the page act
   * or read output; the cookie alone, which a browser sends to every port of
   * the host, does not.
   */
  pageSecret: string;
  cookieName: string;
  /** `http` or `https`: the origins of the allowed hosts are `scheme://host`. */
  scheme: 'http' | 'https';
  /** `host:port` as a browser writes it in `Host` (lower case; IPv6 in brackets). */
  allowedHosts: ReadonlySet<string>;
}

/** The parts of a request the guard reads. Header names as Node gives them (lower case). */
export interface GuardedRequest {
  method: string;
  host: string | undefined;
  origin: string | undefined;
  secFetchSite: string | undefined;
  authorization: string | undefined;
  cookie: string | undefined;
  csrfHeader: string | undefined;
  /** `?token=` of the URL. */
  queryToken: string | undefined;
  /** Whether the session cookie alone may not open the request's route: see {@link isSensitive}. */
  sensitive: boolean;
}

export type GuardVerdict =
  | {
      allowed: true;
      /** The URL token opened the request: the caller sets the session cookie (and, for the page, redirects without it). */
      viaQueryToken: boolean;
    }
  | { allowed: false; status: 401 | 403; message: string };

export { CSRF_HEADER } from './page-contract.js';

/** `Sec-Fetch-Site` values of a request a browser made from the server's own page, or typed in (`none`). */
const OWN_FETCH_SITES = new Set(['same-origin', 'none']);

/** The API's routes the session cookie alone may GET: they read jobs, agents and progress, never output. */
const COOKIE_ROUTES: ReadonlySet<string> = new Set(['/api/jobs', '/api/jobs/:id', '/api/agents', '/api/progress', '/metrics']);

/**
 * Whether the session cookie alone may not open a request: an allow-list of
 * the route Fastify matched (its pattern, as registered: `/api/jobs/:id`), not
 * of the URL as written, which percent-encoding (`/api/jobs/1/%6futput`) or an
 * absolute-form target (`GET http://host/api/...`) would disguise. Only a GET
 * of the page's files (`pagePaths`) or of {@link COOKIE_ROUTES} passes; every
 * other route (a change, an output read, `/api/events`) and a request no route
 * matches needs the token or the page's secret.
 */
export function isSensitive(method: string, route: string | undefined, pagePaths: ReadonlySet<string>): boolean {
  if (method.toUpperCase() !== 'GET' || route === undefined) return true;
  return !COOKIE_ROUTES.has(route) && !pagePaths.has(route);
}

/** Whether a matched route is the API's or the metrics': what needs Redis, and answers by a deadline. */
export function isApiRoute(route: string | undefined): boolean {
  return route !== undefined && (route.startsWith('/api/') || route === '/metrics');
}

/**
 * Decides whether a request may go on, in the order an attacker meets the
 * checks: a `Host` that is not the server's (DNS rebinding: a name of the
 * attacker's that resolves to loopback) is refused before anything else; then
 * the token (Bearer or `?token=`) or the session cookie; then any request a
 * browser says came from another site or another origin of this site (another
 * port of 127.0.0.1) is refused; a state change or an output read needs the
 * token itself, or the page's secret in X-Fleet-CSRF: the cookie reaches
 * every port of the host, so whoever serves a page on another port gets it,
 * and their own client can forge any `Origin`.
 */
export function guardRequest(request: GuardedRequest, config: GuardConfig): GuardVerdict {
  const host = request.host?.toLowerCase();
  if (host === undefined || !config.allowedHosts.has(host)) {
    return { allowed: false, status: 403, message: `refused: Host ${JSON.stringify(request.host ?? '')} is not this server's address` };
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.authorization ?? '')?.[1];
  const viaQueryToken = request.queryToken !== undefined && sameSecret(request.queryToken, config.token);
  const viaBearer = bearer !== undefined && sameSecret(bearer, config.token);
  const cookie = cookieValue(request.cookie, config.cookieName);
  const viaCookie = cookie !== undefined && sameSecret(cookie, config.session);
  if (!viaQueryToken && !viaBearer && !viaCookie) {
    return {
      allowed: false,
      status: 401,
      message: 'an access token is needed: open the URL fleet serve printed, or send Authorization: Bearer TOKEN',
    };
  }
  if (request.secFetchSite !== undefined && !OWN_FETCH_SITES.has(request.secFetchSite)) {
    return { allowed: false, status: 403, message: `refused: a request from another page (Sec-Fetch-Site: ${request.secFetchSite})` };
  }
  if (request.origin !== undefined && !config.allowedHosts.has(originHost(request.origin, config.scheme) ?? '')) {
    return { allowed: false, status: 403, message: `refused: a request from another origin (${request.origin})` };
  }
  const viaPageSecret = request.csrfHeader !== undefined && sameSecret(request.csrfHeader, config.pageSecret);
  if (request.sensitive && !viaQueryToken && !viaBearer && !viaPageSecret) {
    return {
      allowed: false,
      status: 403,
      message: `refused: the session cookie alone opens only the page and GET /api/jobs, /api/jobs/ID, /api/agents, /api/progress and /metrics, not this ${request.method} (it changes something, reads output, or has no route): send Authorization: Bearer TOKEN, or the page's secret in ${CSRF_HEADER}`,
    };
  }
  return { allowed: true, viaQueryToken };
}

/** The `host:port` of an origin with the server's scheme, or null when the scheme differs or it is no URL (`null`). */
function originHost(origin: string, scheme: 'http' | 'https'): string | null {
  try {
    const url = new URL(origin);
    return url.protocol === `${scheme}:` ? url.host.toLowerCase() : null;
  } catch {
    return null;
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at !== -1 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Compares secrets in constant time (hashed first, so that their lengths do not show either). */
function sameSecret(given: string, secret: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

/** The `Set-Cookie` value of the session: HttpOnly, SameSite=Strict, Secure over TLS, for the whole server. */
export function sessionCookie(config: GuardConfig): string {
  return `${config.cookieName}=${config.session}; Path=/; HttpOnly; SameSite=Strict${config.scheme === 'https' ? '; Secure' : ''}`;
}

/**
 * The `Host` values the server answers to: its address and port, `localhost`
 * too on loopback, and for a wildcard address the names given (this machine's
 * addresses and host name). A default port (80, 443) may also be left out, as
 * browsers leave it out.
 */
export function allowedHosts(names: readonly string[], port: number, scheme: 'http' | 'https'): Set<string> {
  const defaultPort = scheme === 'https' ? 443 : 80;
  const hosts = new Set<string>();
  for (const name of names) {
    const shown = name.includes(':') ? `[${name}]` : name;
    hosts.add(`${shown}:${port}`.toLowerCase());
    if (port === defaultPort) hosts.add(shown.toLowerCase());
  }
  return hosts;
}
