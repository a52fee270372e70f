import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { checkServerIdentity as checkIdentity, type PeerCertificate } from 'node:tls';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { until } from './support/poll.js';
import { parsePrometheus } from './support/prometheus-text.js';
import { everything } from './support/redis-dump.js';
import { makeTestTls, TEST_TLS_DNS_NAME } from './support/test-tls.js';
import type { JobJson } from './support/use-fleet.js';
import { api, startServe, withHost, type Served } from './support/fleet-serve.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(3);

async function jobOf(served: Served, id: number): Promise<JobJson[]> {
  const response = await api(served, `/api/jobs/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as JobJson[];
}

/** Sends one request line as written (an absolute-form target, say), with the server's Host; the answer's head and body as text. */
function rawRequest(served: Served, requestLine: string, headers: Record<string, string>): Promise<string> {
  const url = new URL(served.base);
  const head = [
    requestLine,
    `host: ${url.host}`,
    'connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) }, () => socket.write(`${head.join('\r\n')}\r\n\r\n`));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

async function scrape(served: Served): Promise<Map<string, number>> {
  const response = await api(served, '/metrics');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await response.text());
}

describe('fleet serve: who may ask', () => {
  it('refuses a request without the token, from another Host, or a cross-site state change; the URL sets the session cookie', async () => {
    const served = await startServe(ssh.env);
    expect((await fetch(`${served.base}/api/jobs`)).status).toBe(401);
    expect((await fetch(`${served.base}/api/jobs`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
    expect((await api(served, '/api/jobs')).status).toBe(200);
    // Nothing is answered without the token, not even whether a route exists, nor a CORS preflight.
    expect((await fetch(`${served.base}/api/nothing-here`)).status).toBe(401);
    const preflight = await fetch(`${served.base}/api/jobs`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://attacker.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-fleet-csrf',
      },
    });
    expect(preflight.status).toBe(401);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();

    // DNS rebinding: a name of the attacker's that resolves to 127.0.0.1, with the token or without.
    const rebound = await withHost(served, '/api/jobs', `attacker.example:${new URL(served.base).port}`);
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain('is not this server');

    // Opening the URL hands the page its secret in the fragment, which never goes back to a server.
    const opened = await fetch(served.url, { redirect: 'manual' });
    expect(opened.status).toBe(303);
    const location = opened.headers.get('location') ?? '';
    expect(location).toMatch(/^\/#session=[A-Za-z0-9_-]{43}$/);
    const pageSecret = location.slice('/#session='.length);
    expect(pageSecret).not.toBe(served.token);
    // A path of two slashes would be a protocol-relative redirect off the site: it goes to / all the same.
    const offSite = await fetch(`${served.base}//attacker.example/?token=${served.token}`, { redirect: 'manual' });
    expect(offSite.status).toBe(303);
    expect(offSite.headers.get('location')).toBe(location);
    // Every answer, a refusal or a 404 too, forbids sniffing, framing, scripts and the Referer.
    const unknownRoute = await api(served, '/api/nothing-here');
    expect(unknownRoute.status).toBe(404);
    for (const response of [opened, unknownRoute, await fetch(`${served.base}/api/jobs`), await api(served, '/api/jobs')]) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    }
    const setCookie = opened.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    const cookie = setCookie.split(';')[0] as string;
    expect(cookie).not.toContain(served.token);
    expect(cookie).not.toContain(pageSecret);
    expect((await fetch(`${served.base}/api/agents`, { headers: { cookie } })).status).toBe(200);
    // The page read with the cookie alone does not carry the secret: only the redirect of the URL with the token does.
    const page = await fetch(`${served.base}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain(pageSecret);

    // A job to act on: a cross-site page holding the cookie cannot stop or remove it.
    const created = await api(served, '/api/jobs', { method: 'POST', json: { command: [ssh.env.sleep, '30'] } });
    expect(created.status).toBe(201);
    const job = (await created.json()) as JobJson;
    const crossSite: Record<string, string>[] = [
      { cookie, origin: 'http://attacker.example' },
      { cookie, origin: 'null' },
      { cookie }, // no Origin, no X-Fleet-CSRF
      // Another local user's client, replaying the cookie their page on another port was sent: any Origin, any header but the secret.
      { cookie, origin: served.base },
      { cookie, 'x-fleet-csrf': '1' },
      { cookie, origin: served.base, 'x-fleet-csrf': cookie.split('=')[1] as string },
      { authorization: `Bearer ${served.token}`, origin: 'http://attacker.example' },
    ];
    for (const headers of crossSite) {
      expect((await fetch(`${served.base}/api/jobs/${job.id}/stop`, { method: 'POST', headers })).status, JSON.stringify(headers)).toBe(
        403,
      );
      expect((await fetch(`${served.base}/api/jobs/${job.id}?force`, { method: 'DELETE', headers })).status).toBe(403);
    }
    expect((await jobOf(served, job.id))[0]?.state).not.toBe('Stopped');
    // The page, with the cookie and its secret, may. Stop answers once the stop is signalled (202).
    const asPage = { cookie, origin: served.base, 'x-fleet-csrf': pageSecret };
    const stopped = await fetch(`${served.base}/api/jobs/${job.id}/stop`, { method: 'POST', headers: asPage });
    expect(stopped.status).toBe(202);
    expect(((await stopped.json()) as JobJson[])[0]?.id).toBe(job.id);
    await until(async () => (await jobOf(served, job.id))[0]?.state === 'Stopped', { what: 'the job to stop' });
    // A script sends the token: no Origin, no secret needed.
    const removed = await fetch(`${served.base}/api/jobs/${job.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${served.token}` },
    });
    expect(removed.status).toBe(204);
    expect(await served.stop()).toBe(0);
  });

  it('serves HTTPS with --tls-cert and --tls-key, and its cookie is Secure; SIGINT stops it cleanly', async () => {
    const tls = await makeTestTls(await mkdtemp(join(ssh.env.home, 'tls-')));
    const served = await startServe(ssh.env, ['--tls-cert', tls.cert, '--tls-key', tls.key]);
    expect(served.base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    // The certificate is checked against the name in Host (as a browser checks the name it connects to).
    const get = (path: string, headers: Record<string, string> = {}, servername = '127.0.0.1') =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
        const checkServerIdentity = (_host: string, cert: PeerCertificate) => checkIdentity(servername, cert);
        const request = httpsRequest(new URL(path, served.base), { ca: tls.caPem, headers, checkServerIdentity }, (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
        });
        request.on('error', reject);
        request.end();
      });
    const opened = await get(new URL(served.url).pathname + new URL(served.url).search);
    expect(opened.status).toBe(303);
    expect(String(opened.headers['set-cookie'])).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
    expect((await get('/api/jobs', { authorization: `Bearer ${served.token}` })).status).toBe(200);
    expect((await get('/api/jobs')).status).toBe(401);
    // The certificate's own DNS name is one the server answers to.
    const port = new URL(served.base).port;
    const bearer = `Bearer ${served.token}`;
    expect((await get('/api/jobs', { authorization: bearer, host: `${TEST_TLS_DNS_NAME}:${port}` }, TEST_TLS_DNS_NAME)).status).toBe(200);
    expect((await get('/api/jobs', { authorization: bearer, host: `attacker.example:${port}` })).status).toBe(403);
    // Plain HTTP on the TLS port gets no answer from the API.
    const plain = await fetch(served.base.replace('https:', 'http:') + '/api/jobs', {
      headers: { authorization: `Bearer ${served.token}` },
    }).then(
      (response) => response.status,
      () => 'refused',
    );
    expect(plain).not.toBe(200);
    expect(await served.stop('SIGINT')).toBe(0);
  });

  it('answers on --listen localhost:PORT to 127.0.0.1, [::1] and localhost alike', async () => {
    const served = await startServe(ssh.env, [], 'localhost:0');
    expect(served.base).toMatch(/^http:\/\/localhost:\d+$/);
    const port = new URL(served.base).port;
    for (const host of [`127.0.0.1:${port}`, `[::1]:${port}`, `localhost:${port}`]) {
      expect((await withHost(served, '/api/agents', host)).status, host).toBe(200);
    }
    expect((await withHost(served, '/api/agents', `attacker.example:${port}`)).status).toBe(403);
    expect(await served.stop()).toBe(0);
  });

  it('refuses to listen beyond loopback without TLS: exit 2, nothing served', async () => {
    const result = await ssh.env.fleet(['serve', '--listen', '0.0.0.0:0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--tls-cert');
    expect(result.stdout).toBe('');
  });
});

describe('fleet serve: the API', () => {
  it('runs a job on the sshd hosts and answers with what the CLI prints for it', async () => {
    const served = await startServe(ssh.env);
    const hosts = ssh.fleet.entries;
    const created = await api(served, '/api/jobs', {
      method: 'POST',
      headers: { 'x-fleet-csrf': '1' },
      json: { hosts: hosts.join(','), command: ['echo', 'hello from $FLEET_HOST'], name: `api-${ssh.env.marker}` },
    });
    expect(created.status).toBe(201);
    const job = (await created.json()) as JobJson;
    expect(job).toMatchObject({ type: 'remote', location: hosts.join(','), command: 'echo hello from $FLEET_HOST' });
    expect(job.childIds).toHaveLength(hosts.length);
    await until(async () => (await jobOf(served, job.id))[0]?.state === 'Completed', { what: 'the job to complete' });

    expect(await jobOf(served, job.id)).toEqual(await ssh.env.json(['get', String(job.id), '--children']));
    const list = async (query: string) => ((await (await api(served, `/api/jobs${query}`)).json()) as JobJson[]).map((one) => one.id);
    expect(await list('')).toEqual(await ssh.env.json<JobJson[]>(['get']).then((jobs) => jobs.map((one) => one.id)));
    expect(await list('?state=Completed')).toContain(job.id);
    expect(await list('?state=Failed')).not.toContain(job.id);
    expect(await list(`?name=api-${ssh.env.marker}`)).toEqual([job.id]);
    expect(await list(`?name=api-${ssh.env.marker}&children`)).toEqual([job.id, ...job.childIds]);

    // Output: the records receive --json prints, byte for byte.
    const kept = await api(served, `/api/jobs/${job.id}/output?keep`);
    expect(kept.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const keptText = await kept.text();
    expect(keptText).toBe((await ssh.env.fleet(['receive', String(job.id), '--keep', '--json'])).stdout);
    for (const host of hosts) expect(keptText).toContain(`"host":"${host}","stream":"stdout","data":"hello from ${host}"`);
    const one = await (await api(served, `/api/jobs/${job.id}/output?keep&host=${hosts[1]}`)).text();
    expect(one).toBe((await ssh.env.fleet(['receive', String(job.id), '--keep', '--json', '--host', hosts[1] as string])).stdout);
    expect(one).not.toContain(`"host":"${hosts[0]}"`);
    // Taking output changes something: a page on another port of 127.0.0.1 (same site), holding the cookie,
    // cannot take it with an <img> (GET, no Origin) nor a HEAD; nor with the Sec-Fetch-Site its browser adds.
    const opened = await fetch(served.url, { redirect: 'manual' });
    const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const sameSite: [string, Record<string, string>][] = [
      ['GET', { cookie }],
      ['HEAD', { cookie }],
      ['GET', { cookie, 'sec-fetch-site': 'same-site' }],
      ['HEAD', { cookie, 'sec-fetch-site': 'same-site' }],
      ['GET', { cookie, 'sec-fetch-site': 'same-site', 'x-fleet-csrf': '1' }],
    ];
    for (const [method, headers] of sameSite) {
      const taken = await fetch(`${served.base}/api/jobs/${job.id}/output`, { method, headers });
      expect(taken.status, `${method} ${JSON.stringify(headers)}`).toBe(403);
    }
    // Reading output, kept or grouped, is more than the cookie alone may do: a replayed cookie reads none.
    for (const path of ['output?keep', 'groups']) {
      expect((await fetch(`${served.base}/api/jobs/${job.id}/${path}`, { headers: { cookie } })).status, path).toBe(403);
    }
    // The guard judges the route Fastify matched, not the URL as written: a percent-encoded path, or an
    // absolute-form request target, reaches the same routes and is refused the same with the cookie alone.
    const disguised = [`/api/jobs/${job.id}/%6futput?keep`, `/api/jobs/${job.id}/gr%6fups`, `/%61pi/jobs/${job.id}/output`];
    for (const path of disguised) {
      expect((await fetch(`${served.base}${path}`, { headers: { cookie } })).status, path).toBe(403);
    }
    expect(await rawRequest(served, `GET ${served.base}/api/jobs/${job.id}/output HTTP/1.1`, { cookie })).toMatch(/^HTTP\/1\.1 403 /);
    expect(await rawRequest(served, `GET ${served.base}/api/jobs/${job.id} HTTP/1.1`, { cookie })).toMatch(/^HTTP\/1\.1 200 /);
    // The event stream adds output with ?job=, and the page does not use it: the cookie alone never opens it.
    for (const path of [`/api/events?job=${job.id}`, `/%61pi/events?job=${job.id}`, '/api/events']) {
      expect((await fetch(`${served.base}${path}`, { headers: { cookie } })).status, path).toBe(403);
    }
    // With the page's secret the disguised path is the route it decodes to (and so, with the cookie alone, refused).
    const pageSecret = (opened.headers.get('location') ?? '').split('=')[1] as string;
    const grouped = await fetch(`${served.base}/api/jobs/${job.id}/gr%6fups`, { headers: { cookie, 'x-fleet-csrf': pageSecret } });
    expect(grouped.status).toBe(200);
    expect(await (await fetch(`${served.base}/%61pi/jobs/${job.id}`, { headers: { cookie } })).json()).toEqual(await jobOf(served, job.id));
    // No HEAD route at all, even with the token.
    expect((await api(served, `/api/jobs/${job.id}/output`, { method: 'HEAD' })).status).toBe(404);
    // receive --group as data: each distinct output once under its hosts (here one each, in the order they were given).
    expect(await (await api(served, `/api/jobs/${job.id}/groups`)).json()).toEqual({
      groups: hosts.map((host) => ({ hosts: host, count: 1, text: `hello from ${host}\n`, exitCode: 0 })),
      failures: [],
    });
    const progress = (await (await api(served, '/api/progress')).json()) as { id: number }[];
    expect(progress.find((one) => one.id === job.id)).toEqual({ id: job.id, total: 3, completed: 3, failed: 0, stopped: 0, running: 0 });
    // Nothing failed: the rerun is refused with invoke --rerun-failed's message.
    const rerun = await api(served, `/api/jobs/${job.id}/rerun-failed`, { method: 'POST' });
    expect(rerun.status).toBe(400);
    const rerunCli = await ssh.env.fleet(['invoke', '--rerun-failed', String(job.id)]);
    expect(rerunCli.stderr).toContain(`fleet: ${((await rerun.json()) as { error: string }).error}\n`);
    expect((await jobOf(served, job.id))[0]?.hasMoreData).toBe(true);
    expect(await (await api(served, `/api/jobs/${job.id}/output?keep`)).text()).toBe(keptText);
    // Without ?keep, as receive: taken, and then gone.
    expect(await (await api(served, `/api/jobs/${job.id}/output`)).text()).toBe(keptText);
    expect((await jobOf(served, job.id))[0]?.hasMoreData).toBe(false);

    const removed = await api(served, `/api/jobs/${job.id}`, { method: 'DELETE', headers: { 'x-fleet-csrf': '1' } });
    expect(removed.status).toBe(204);
    expect((await api(served, `/api/jobs/${job.id}`)).status).toBe(404);
    expect(await served.stop()).toBe(0);
  });

  it("answers bad input with the CLI's message (400), an unknown job 404, a refusal 409", async () => {
    const served = await startServe(ssh.env);
    const post = (json: unknown) => api(served, '/api/jobs', { method: 'POST', headers: { 'x-fleet-csrf': '1' }, json });
    const error = async (response: Response) => ({
      status: response.status,
      ...((await response.json()) as { error: string; hint?: string }),
    });

    const badHost = await error(await post({ hosts: 'web1,-oProxyCommand=x', command: ['true'] }));
    const cli = await ssh.env.fleet(['invoke', '-c', 'web1,-oProxyCommand=x', '--', 'true']);
    expect(cli.code).toBe(2);
    expect(badHost.status).toBe(400);
    expect(cli.stderr).toContain(`fleet: ${badHost.error}\n`);
    expect(badHost.error).not.toMatch(/\n\s+at /);

    expect(await error(await post({ hosts: 'web1', command: [] }))).toMatchObject({ status: 400, error: 'the command is empty' });
    expect((await post({ hosts: 'web1', command: ['true'], script: '/etc/passwd' })).status).toBe(400);
    expect(
      (await api(served, '/api/jobs', { method: 'POST', headers: { 'x-fleet-csrf': '1', 'content-type': 'application/json' }, body: '{' }))
        .status,
    ).toBe(400);
    const badState = await error(await api(served, '/api/jobs?state=Sleeping'));
    expect(badState.status).toBe(400);
    expect((await ssh.env.fleet(['get', '--state', 'Sleeping'])).stderr).toContain(`fleet: ${badState.error}\n`);

    const unknown = await error(await api(served, '/api/jobs/999999'));
    expect(unknown).toMatchObject({ status: 404, error: 'no job with id 999999' });
    for (const path of [
      '/api/jobs/999999/output',
      '/api/jobs/999999/groups',
      '/api/jobs/999999/stop',
      '/api/jobs/999999/rerun-failed',
      '/api/jobs/999999',
    ]) {
      const method = path.endsWith('output') || path.endsWith('groups') ? 'GET' : path.endsWith('999999') ? 'DELETE' : 'POST';
      expect((await api(served, path, { method, headers: { 'x-fleet-csrf': '1' } })).status, `${method} ${path}`).toBe(404);
    }
    expect((await api(served, '/api/jobs/seven')).status).toBe(400);

    // A running job: remove is refused (409) as fleet remove refuses it; a child cannot be removed apart (400).
    const job = (await (await post({ hosts: ssh.fleet.entries[0], command: [ssh.env.sleep, '30'] })).json()) as JobJson;
    await until(async () => (await jobOf(served, job.id))[0]?.state === 'Running', { what: 'the job to run' });
    const refused = await error(await api(served, `/api/jobs/${job.id}`, { method: 'DELETE', headers: { 'x-fleet-csrf': '1' } }));
    expect(refused).toMatchObject({ status: 409, error: `not removed: job ${job.id} is Running` });
    const host = await error(await api(served, `/api/jobs/${job.id}/output?host=nohost`));
    expect(host.status).toBe(400);
    const child = job.childIds[0] as number;
    expect((await api(served, `/api/jobs/${child}`, { method: 'DELETE', headers: { 'x-fleet-csrf': '1' } })).status).toBe(400);
    const forced = await api(served, `/api/jobs/${job.id}?force`, { method: 'DELETE', headers: { 'x-fleet-csrf': '1' } });
    expect(forced.status).toBe(204);

    const agents = (await (await api(served, '/api/agents')).json()) as { id: string }[];
    expect(agents.map((agent) => agent.id).sort()).toEqual(
      (await ssh.env.json<{ id: string }[]>(['agents'])).map((agent) => agent.id).sort(),
    );
    expect(await served.stop()).toBe(0);
  });

  it('answers 503 while Redis is down, and serves again once it is back', async () => {
    const served = await startServe(ssh.env);
    expect((await api(served, '/api/jobs')).status).toBe(200);
    await ssh.redis.kill();
    try {
      // The server sees the connection go when the kernel tells it: ask until it has.
      const down = await until(
        async () => {
          const response = await api(served, '/api/jobs');
          return response.status === 503 ? response : undefined;
        },
        { what: 'a 503 while Redis is down' },
      );
      expect(((await down.json()) as { error: string }).error).toBe('Redis is not reachable');
      expect((await api(served, '/metrics')).status).toBe(503);
      expect(
        (await api(served, '/api/jobs', { method: 'POST', headers: { 'x-fleet-csrf': '1' }, json: { command: ['true'] } })).status,
      ).toBe(503);
    } finally {
      await ssh.redis.start();
    }
    await until(async () => (await api(served, '/api/jobs')).status === 200, { what: 'the server to reconnect' });
    expect(await served.stop()).toBe(0);
    expect(served.stderr()).not.toMatch(/\n\s+at /);
  });

  it('answers 503 by its deadline when Redis hangs with the request sent, and serves again once it answers', async () => {
    const served = await startServe(ssh.env);
    expect((await api(served, '/api/jobs')).status).toBe(200);
    ssh.redis.freeze();
    try {
      // The connection stays open and nothing answers: without a deadline this request waits for Redis.
      const hung = await api(served, '/api/jobs');
      expect(hung.status).toBe(503);
      expect(((await hung.json()) as { error: string }).error).toMatch(/^no answer within/);
    } finally {
      ssh.redis.thaw();
    }
    await until(async () => (await api(served, '/api/jobs')).status === 200, { what: 'the server to answer again' });
    expect(await served.stop()).toBe(0);
  });
});

describe('fleet serve: secrets and metrics', () => {
  it('keeps the token out of Redis and out of every log', async () => {
    const served = await startServe(ssh.env);
    const opened = await fetch(served.url, { redirect: 'manual' });
    const session = (opened.headers.get('set-cookie') ?? '').split(';')[0]?.split('=')[1] as string;
    const pageSecret = (opened.headers.get('location') ?? '').replace('/#session=', '');
    const created = await api(served, `/api/jobs?token=${served.token}`, {
      method: 'POST',
      headers: { 'x-fleet-csrf': '1' },
      json: { hosts: ssh.fleet.entries.join(','), command: ['true'] },
    });
    expect(created.status).toBe(201);
    const job = (await created.json()) as JobJson;
    await until(async () => (await jobOf(served, job.id))[0]?.state === 'Completed', { what: 'the job to complete' });
    expect(await served.stop()).toBe(0);

    const stored = await everything(ssh.redis.client(), '*', { dump: true });
    expect(stored).toContain(String(job.id)); // the scan sees the job's keys
    expect(stored).not.toContain(served.token);
    expect(stored).not.toContain(session);
    expect(stored).not.toContain(pageSecret);
    const agentLog = await readFile(join(ssh.env.env.FLEET_STATE_DIR as string, 'agent.log'), 'utf8').catch(() => '');
    expect(agentLog).not.toContain(served.token);
    expect(served.stderr()).not.toContain(served.token);
  });

  it('serves Prometheus text whose counters move after a job', async () => {
    const served = await startServe(ssh.env);
    const before = await scrape(served);
    for (const name of [
      'fleet_children_started_total',
      'fleet_children_finished_total',
      'fleet_children_failed_total',
      'fleet_agents',
      'fleet_queue_waiting',
    ]) {
      expect(before.has(name), name).toBe(true);
    }
    expect(before.get('fleet_jobs{state="Completed"}')).toBeDefined();
    const hosts = ssh.fleet.entries;
    const created = await api(served, '/api/jobs', {
      method: 'POST',
      headers: { 'x-fleet-csrf': '1' },
      json: { hosts: hosts.join(','), command: ['echo out; [ "$FLEET_RANK" != 0 ] || exit 3'] },
    });
    const job = (await created.json()) as JobJson;
    await until(async () => (await jobOf(served, job.id))[0]?.state === 'Failed', { what: 'the job to fail on one host' });
    const after = await scrape(served);
    const moved = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    expect(moved('fleet_children_started_total')).toBe(hosts.length);
    expect(moved('fleet_children_finished_total')).toBe(hosts.length);
    expect(moved('fleet_children_failed_total')).toBe(1);
    expect(moved('fleet_jobs{state="Failed"}')).toBe(1);
    expect(moved('fleet_job_duration_seconds_count')).toBe(1);
    expect(after.get('fleet_output_unread_bytes')).toBeGreaterThan(before.get('fleet_output_unread_bytes') ?? 0);
    expect(after.get('fleet_agents')).toBeGreaterThanOrEqual(1);
    expect(await served.stop()).toBe(0);

    // A server started afterwards takes what Redis holds as its baseline: nothing counted again.
    const again = await startServe(ssh.env);
    const first = await scrape(again);
    expect(first.get('fleet_jobs{state="Failed"}')).toBeGreaterThanOrEqual(1);
    for (const name of ['fleet_children_started_total', 'fleet_children_finished_total', 'fleet_job_duration_seconds_count']) {
      expect(first.get(name), name).toBe(0);
    }
    expect(await again.stop()).toBe(0);
  });
});
