import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { UsageError } from '@fleet/core';
import { afterEach, describe, expect, it } from 'vitest';
import { listenForMetrics, type MetricsListener } from './metrics-listener.js';

const SOURCE = { render: () => Promise.resolve('fleet_agent_children_started_total 3\n'), contentType: 'text/plain; version=0.0.4' };

describe('listenForMetrics', () => {
  const opened: (MetricsListener | Server)[] = [];
  afterEach(async () => {
    for (const thing of opened.splice(0)) {
      if ('url' in thing) await thing.close();
      else await new Promise((resolve) => thing.close(resolve));
    }
  });

  it('serves GET /metrics on the port it bound, and nothing else', async () => {
    const listener = await listenForMetrics({ host: '127.0.0.1', port: 0 }, SOURCE);
    opened.push(listener);
    expect(listener.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const scraped = await fetch(listener.url);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toBe('text/plain; version=0.0.4');
    expect(await scraped.text()).toBe('fleet_agent_children_started_total 3\n');
    expect((await fetch(`${listener.url}?name[]=x`)).status).toBe(200);
    expect((await fetch(listener.url.replace('/metrics', '/'))).status).toBe(404);
    const posted = await fetch(listener.url, { method: 'POST' });
    expect(posted.status).toBe(405);
    expect(posted.headers.get('allow')).toBe('GET');
  });

  it('answers 500 with the reason when the metrics cannot be rendered', async () => {
    const listener = await listenForMetrics(
      { host: '127.0.0.1', port: 0 },
      { render: () => Promise.reject(new Error('a collector threw')), contentType: 'text/plain' },
    );
    opened.push(listener);
    const scraped = await fetch(listener.url);
    expect(scraped.status).toBe(500);
    expect(await scraped.text()).toBe('the metrics could not be rendered: a collector threw\n');
  });

  it('refuses a port in use, and an address not of this machine, as usage errors that say so', async () => {
    const taken = createServer();
    opened.push(taken);
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    const inUse = await listenForMetrics({ host: '127.0.0.1', port }, SOURCE).catch((error: unknown) => error);
    expect(inUse).toBeInstanceOf(UsageError);
    expect(inUse).toMatchObject({ message: `--metrics 127.0.0.1:${port}: the port is in use (another program listens on it)` });

    // TEST-NET-1 (RFC 5737) is no address of any machine: bind() refuses it at once, nothing is sent.
    const elsewhere = await listenForMetrics({ host: '192.0.2.1', port: 0 }, SOURCE).catch((error: unknown) => error);
    expect(elsewhere).toBeInstanceOf(UsageError);
    expect(elsewhere).toMatchObject({ message: '--metrics 192.0.2.1:0: 192.0.2.1 is not an address of this machine' });
  });

  it('closes with a scraper still connected (keep-alive)', async () => {
    const listener = await listenForMetrics({ host: '127.0.0.1', port: 0 }, SOURCE);
    await (await fetch(listener.url)).text(); // fetch keeps the connection open for the next request
    await listener.close();
    await expect(fetch(listener.url)).rejects.toThrow();
  });
});
