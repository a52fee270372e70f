import { describe, expect, it } from 'vitest';
import { freePort } from './support/redis-server.js';
import { useFleet } from './support/use-fleet.js';

const fleet = useFleet();
const PASSWORD = 'pw-never-echoed-71c2';

/**
 * No message echoes a password: a Redis URL or seed list that is malformed,
 * or names a server that does not answer, is quoted with `***` in its place,
 * by the CLI and by an agent alike.
 */
describe('Redis passwords in messages', () => {
  it('are hidden when the URL is malformed or its server does not answer', async () => {
    const closed = await freePort();
    const urls = [
      `http://fleet:${PASSWORD}@127.0.0.1:${closed}`,
      `redis://fleet:${PASSWORD}@127.0.0.1:notaport`,
      `redis://fleet:${PASSWORD}%@127.0.0.1:${closed}`,
      `redis://fleet:${PASSWORD} x@[127.0.0.1`,
      `redis://fleet:${PASSWORD}@127.0.0.1:${closed}`,
      `rediss://fleet:${PASSWORD}@127.0.0.1:${closed}`,
    ];
    for (const url of urls) {
      for (const result of [
        await fleet.env.fleet(['get'], { env: { FLEET_REDIS_URL: url } }),
        await fleet.env.fleet(['get', '--redis', url]),
        await fleet.env.fleet(['agent'], { env: { FLEET_REDIS_URL: url } }),
      ]) {
        expect(result.code, url).not.toBe(0);
        expect(result.stderr, url).toMatch(/fleet:\*\*\*@/);
        expect(result.stderr + result.stdout, url).not.toContain(PASSWORD);
      }
    }
  });

  it('are hidden when a typo leaves out the @, and in a password= parameter', async () => {
    const closed = await freePort();
    for (const url of [`redis://fleet:${PASSWORD}`, `redis://127.0.0.1:${closed}/0?password=${PASSWORD}`]) {
      const result = await fleet.env.fleet(['get'], { env: { FLEET_REDIS_URL: url } });
      expect(result.code, url).not.toBe(0);
      expect(result.stderr + result.stdout, url).not.toContain(PASSWORD);
    }
    const seeds = `redis://fleet:${PASSWORD},127.0.0.1:${closed}`;
    const result = await fleet.env.fleet(['get'], { env: { FLEET_REDIS_URL: undefined, FLEET_REDIS_CLUSTER: seeds } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"fleet:***" is not host:port');
    expect(result.stderr).not.toContain(PASSWORD);
  });

  it('are hidden in a cluster seed list that is malformed or does not answer', async () => {
    const closed = await freePort();
    for (const seeds of [
      `redis://fleet:${PASSWORD}@127.0.0.1:${closed}`,
      `http://fleet:${PASSWORD}@127.0.0.1:${closed}`,
      `fleet:${PASSWORD}@h:1`,
    ]) {
      const result = await fleet.env.fleet(['get'], { env: { FLEET_REDIS_URL: undefined, FLEET_REDIS_CLUSTER: seeds } });
      expect(result.code, seeds).not.toBe(0);
      expect(result.stderr, seeds).toMatch(/fleet:\*\*\*@/);
      expect(result.stderr, seeds).not.toContain(PASSWORD);
    }
  });
});
