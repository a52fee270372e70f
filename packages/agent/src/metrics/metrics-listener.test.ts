import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { UsageError } from '@fleet/core';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../../../test/support/poll.js';
import { listenForMetrics, type MetricsListener, type MetricsListenerOptions, type MetricsSource } from './metrics-listener.js';

const SOURCE = { render: () => Promise.resolve('fleet_children_started_total 3\n'), contentType: 'text/plain; version=0.0.4' };

/** What the agent passes for 127.0.0.1: the address and `localhost`. */
const LOOPBACK: MetricsListenerOptions = { hostNames: (bound) => [bound, 'localhost'], log: () => {} };

/** With ip_nonlocal_bind set, the kernel lets a program bind any address: "not this machine's" cannot be seen. */
const nonlocalBind = (() => {
  try {
    return readFileSync('/proc/sys/net/ipv4/ip_nonlocal_bind', 'utf8').trim() === '1';
  } catch {
    return false;
  }
})();

/** A GET of the listener's URL with this `Host` header (fetch sets its own). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { headers: { host } }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    sent.on('error', reject);
    sent.end();
  });
}

describe('listenForMetrics', () => {
  const opened: (MetricsListener | Server)[] = [];
  afterEach(async () => {
    for (const thing of opened.splice(0)) {
      if ('url' in thing) await thing.close();
      else await new Promise((resolve) => thing.close(resolve));
    }
  });

  async function listen(source: MetricsSource = SOURCE, options = LOOPBACK): Promise<MetricsListener> {
    const listener = await listenForMetrics({ host: '127.0.0.1', port: 0 }, source, options);
    opened.push(listener);
    return listener;
  }

  it('serves GET /metrics on the port it bound, and nothing else', async () => {
    const listener = await listen();
    expect(listener.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const scraped = await fetch(listener.url);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toBe('text/plain; version=0.0.4');
    expect(await scraped.text()).toBe('fleet_children_started_total 3\n');
    expect((await fetch(`${listener.url}?name[]=x`)).status).toBe(200);
    expect((await fetch(listener.url.replace('/metrics', '/'))).status).toBe(404);
    const posted = await fetch(listener.url, { method: 'POST' });
    expect(posted.status).toBe(405);
    expect(posted.headers.get('allow')).toBe('GET');
  });

  it('refuses a Host that is not one of its names (DNS rebinding), whatever the port', async () => {
    const listener = await listen();
    const { port } = new URL(listener.url);
    expect(await getWithHost(listener.url, `attacker.example:${port}`)).toEqual({
      status: 403,
      body: `refused: Host "attacker.example:${port}" is not this agent's metrics address\n`,
    });
    expect((await getWithHost(listener.url, '127.0.0.2')).status).toBe(403);
    // Its names, with any port (ssh -L to another local port) or none, in any case.
    expect(await getWithHost(listener.url, 'LOCALHOST:19464')).toEqual({ status: 200, body: 'fleet_children_started_total 3\n' });
    expect((await getWithHost(listener.url, '127.0.0.1')).status).toBe(200);
  });

  it('answers 500 with the reason when the metrics cannot be rendered', async () => {
    const listener = await listen({ render: () => Promise.reject(new Error('a collector threw')), contentType: 'text/plain' });
    const scraped = await fetch(listener.url);
    expect(scraped.status).toBe(500);
    expect(await scraped.text()).toBe('the metrics could not be rendered: a collector threw\n');
  });

  it('refuses a port in use as a usage error that says so', async () => {
    const taken = createServer();
    opened.push(taken);
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    const inUse = await listenForMetrics({ host: '127.0.0.1', port }, SOURCE, LOOPBACK).catch((error: unknown) => error);
    expect(inUse).toBeInstanceOf(UsageError);
    expect(inUse).toMatchObject({ message: `--metrics 127.0.0.1:${port}: the port is in use (another program listens on it)` });
  });

  it.skipIf(nonlocalBind)('refuses an address not of this machine as a usage error that says so', async () => {
    // TEST-NET-1 (RFC 5737) is no address of any machine: bind() refuses it at once, nothing is sent.
    const elsewhere = await listenForMetrics({ host: '192.0.2.1', port: 0 }, SOURCE, LOOPBACK).catch((error: unknown) => error);
    if (typeof elsewhere === 'object' && elsewhere !== null && 'url' in elsewhere) opened.push(elsewhere as MetricsListener);
    expect(elsewhere).toBeInstanceOf(UsageError);
    expect(elsewhere).toMatchObject({ message: '--metrics 192.0.2.1:0: 192.0.2.1 is not an address of this machine' });
  });

  it('closes with a scraper still connected, its request not yet answered', async () => {
    let rendering = false;
    // A render that never ends: the request stays in progress until close ends its connection.
    const listener = await listen({
      render: () => {
        rendering = true;
        return new Promise<string>(() => {});
      },
      contentType: 'text/plain',
    });
    const { hostname, port } = new URL(listener.url);
    const socket = connect(Number(port), hostname);
    let ended = false;
    socket.on('close', () => (ended = true));
    socket.on('error', () => {});
    socket.write(`GET /metrics HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
    await until(() => rendering, { what: 'the server to take the request' });
    let closed = false;
    void listener.close().then(() => (closed = true));
    // Well within the 5 s headersTimeout and 10 s requestTimeout: only closing the connection ends it this soon.
    await until(() => closed && ended, { timeoutMs: 2_000, intervalMs: 20, what: 'close() to resolve and the socket to end' });
    await expect(fetch(listener.url)).rejects.toThrow();
  });
});
