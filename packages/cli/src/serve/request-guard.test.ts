import { describe, expect, it } from 'vitest';
import {
  allowedHosts,
  guardRequest,
  isApiRoute,
  isSensitive,
  sessionCookie,
  type GuardConfig,
  type GuardedRequest,
} from './request-guard.js';

const config: GuardConfig = {
  token: 'the-token',
  session: 'the-session',
  pageSecret: 'the-page-secret',
  cookieName: 'fleet-session-7070',
  scheme: 'http',
  allowedHosts: allowedHosts(['127.0.0.1', 'localhost'], 7070, 'http'),
};

const request = (extra: Partial<GuardedRequest>): GuardedRequest => ({
  method: 'GET',
  host: '127.0.0.1:7070',
  origin: undefined,
  secFetchSite: undefined,
  authorization: undefined,
  cookie: undefined,
  csrfHeader: undefined,
  queryToken: undefined,
  sensitive: false,
  ...extra,
});

describe('the request guard of fleet serve', () => {
  it('needs the token, by Bearer, ?token or the session cookie', () => {
    expect(guardRequest(request({}), config)).toMatchObject({ allowed: false, status: 401 });
    expect(guardRequest(request({ authorization: 'Bearer wrong' }), config)).toMatchObject({ allowed: false, status: 401 });
    expect(guardRequest(request({ cookie: 'fleet-session-7070=the-token' }), config)).toMatchObject({ allowed: false, status: 401 });
    expect(guardRequest(request({ authorization: 'Bearer the-token' }), config)).toEqual({ allowed: true, viaQueryToken: false });
    expect(guardRequest(request({ queryToken: 'the-token' }), config)).toEqual({ allowed: true, viaQueryToken: true });
    expect(guardRequest(request({ cookie: 'a=b; fleet-session-7070=the-session' }), config)).toEqual({
      allowed: true,
      viaQueryToken: false,
    });
  });

  it('refuses a Host that is not the server, token or not (DNS rebinding)', () => {
    for (const host of ['evil.example:7070', '127.0.0.1:7071', undefined]) {
      expect(guardRequest(request({ host, authorization: 'Bearer the-token' }), config)).toMatchObject({ allowed: false, status: 403 });
    }
    expect(guardRequest(request({ host: 'LOCALHOST:7070', authorization: 'Bearer the-token' }), config).allowed).toBe(true);
  });

  it('lets a state change through only with the token or the page secret, never with the cookie alone, whatever its Origin', () => {
    const cookie = 'fleet-session-7070=the-session';
    const post = (extra: Partial<GuardedRequest>) => guardRequest(request({ method: 'POST', cookie, sensitive: true, ...extra }), config);
    expect(post({})).toMatchObject({ allowed: false, status: 403 });
    expect(post({ origin: 'http://evil.example' })).toMatchObject({ allowed: false, status: 403 });
    expect(post({ origin: 'https://127.0.0.1:7070' })).toMatchObject({ allowed: false, status: 403 });
    expect(post({ origin: 'null' })).toMatchObject({ allowed: false, status: 403 });
    expect(post({ origin: 'http://127.0.0.1:7070', secFetchSite: 'cross-site' })).toMatchObject({ allowed: false, status: 403 });
    // The attacker's own client, replaying a cookie it was sent on another port: any Origin, any header but the secret.
    expect(post({ origin: 'http://127.0.0.1:7070' })).toMatchObject({ allowed: false, status: 403 });
    expect(post({ csrfHeader: '1' })).toMatchObject({ allowed: false, status: 403 });
    expect(post({ csrfHeader: 'the-session' })).toMatchObject({ allowed: false, status: 403 });
    expect(post({ origin: 'http://127.0.0.1:7070', csrfHeader: 'the-page-secret' }).allowed).toBe(true);
    expect(post({ csrfHeader: 'the-page-secret' }).allowed).toBe(true);
    expect(post({ cookie: undefined, authorization: 'Bearer the-token' }).allowed).toBe(true);
    expect(post({ cookie: undefined, queryToken: 'the-token' }).allowed).toBe(true);
    // The secret is no credential of its own: without the cookie or the token it opens nothing.
    expect(post({ cookie: undefined, csrfHeader: 'the-page-secret' })).toMatchObject({ allowed: false, status: 401 });
  });

  it('sets an HttpOnly, SameSite=Strict cookie, Secure over TLS', () => {
    expect(sessionCookie(config)).toBe('fleet-session-7070=the-session; Path=/; HttpOnly; SameSite=Strict');
    expect(sessionCookie({ ...config, scheme: 'https' })).toMatch(/; Secure$/);
  });

  it('answers to a default port written or left out', () => {
    expect([...allowedHosts(['::1'], 443, 'https')]).toEqual(['[::1]:443', '[::1]']);
  });

  it('refuses any request another page made, another port of this host included (Sec-Fetch-Site)', () => {
    const cookie = 'fleet-session-7070=the-session';
    for (const secFetchSite of ['same-site', 'cross-site']) {
      expect(guardRequest(request({ cookie, secFetchSite }), config), secFetchSite).toMatchObject({ allowed: false, status: 403 });
    }
    for (const secFetchSite of ['same-origin', 'none', undefined]) {
      expect(guardRequest(request({ cookie, secFetchSite }), config).allowed, String(secFetchSite)).toBe(true);
    }
  });

  it('lets the cookie alone GET only the page and the allow-listed routes, by the route matched', () => {
    const pagePaths = new Set(['/', '/page/app.js']);
    for (const [method, route] of [
      ['GET', '/api/jobs/:id/output'],
      ['HEAD', '/api/jobs/:id/output'],
      ['GET', '/api/jobs/:id/groups'],
      ['GET', '/api/events'],
      ['GET', undefined], // no route matched
      ['DELETE', '/api/jobs/:id'],
      ['POST', '/api/jobs'],
      ['post', '/api/jobs/:id/stop'],
      ['POST', '/'],
    ] as const) {
      expect(isSensitive(method, route, pagePaths), `${method} ${route}`).toBe(true);
    }
    for (const route of ['/api/jobs/:id', '/api/jobs', '/api/agents', '/api/progress', '/metrics', '/', '/page/app.js']) {
      expect(isSensitive('GET', route, pagePaths), route).toBe(false);
    }
    const cookie = 'fleet-session-7070=the-session';
    expect(guardRequest(request({ cookie, sensitive: true }), config)).toMatchObject({ allowed: false, status: 403 });
    expect(guardRequest(request({ cookie, sensitive: true, csrfHeader: 'the-page-secret' }), config).allowed).toBe(true);
    expect(guardRequest(request({ cookie }), config).allowed).toBe(true);
  });

  it('takes the API and /metrics, by the route matched, for what needs Redis', () => {
    for (const route of ['/api/jobs', '/api/jobs/:id/output', '/api/events', '/metrics']) expect(isApiRoute(route), route).toBe(true);
    for (const route of ['/', '/page/app.js', '/metricsx', undefined]) expect(isApiRoute(route), String(route)).toBe(false);
  });
});
