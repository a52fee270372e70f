import { describe, expect, it } from 'vitest';
import { allowedHosts, changesState, guardRequest, sessionCookie, type GuardConfig, type GuardedRequest } from './request-guard.js';

const config: GuardConfig = {
  token: 'the-token',
  session: 'the-session',
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
  changesState: false,
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

  it('lets a state change through only from its own origin or with a header no cross-site page can send', () => {
    const cookie = 'fleet-session-7070=the-session';
    const post = (extra: Partial<GuardedRequest>) =>
      guardRequest(request({ method: 'POST', cookie, changesState: true, ...extra }), config);
    expect(post({})).toMatchObject({ allowed: false, status: 403 });
    expect(post({ origin: 'http://evil.example' })).toMatchObject({ allowed: false, status: 403 });
    expect(post({ origin: 'https://127.0.0.1:7070' })).toMatchObject({ allowed: false, status: 403 });
    expect(post({ origin: 'null' })).toMatchObject({ allowed: false, status: 403 });
    expect(post({ origin: 'http://127.0.0.1:7070', secFetchSite: 'cross-site' })).toMatchObject({ allowed: false, status: 403 });
    expect(post({ origin: 'http://127.0.0.1:7070' }).allowed).toBe(true);
    expect(post({ csrfHeader: '1' }).allowed).toBe(true);
    expect(post({ cookie: undefined, authorization: 'Bearer the-token' }).allowed).toBe(true);
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

  it('takes reading output without ?keep, by GET or HEAD, for a state change', () => {
    expect(changesState('GET', '/api/jobs/7/output', undefined)).toBe(true);
    expect(changesState('HEAD', '/api/jobs/7/output', 'false')).toBe(true);
    expect(changesState('GET', '/api/jobs/7/output', '')).toBe(false);
    expect(changesState('GET', '/api/jobs/7/output', 'true')).toBe(false);
    expect(changesState('GET', '/api/jobs/7', undefined)).toBe(false);
    expect(changesState('DELETE', '/api/jobs/7', undefined)).toBe(true);
    const cookie = 'fleet-session-7070=the-session';
    expect(guardRequest(request({ cookie, changesState: true }), config)).toMatchObject({ allowed: false, status: 403 });
    expect(guardRequest(request({ cookie, changesState: true, csrfHeader: '1' }), config).allowed).toBe(true);
  });
});
