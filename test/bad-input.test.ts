import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from './support/redis-server.js';
import { useFleet, type JobJson } from './support/use-fleet.js';

const fleet = useFleet();

describe('bad input', () => {
  it.each([
    [['get', '99'], /no job with id 99.*fleet get/s],
    [['receive', 'nosuchname'], /no job with name nosuchname/],
    [['start', '--frobnicate', '--', 'true'], /Unknown argument: frobnicate/],
    [['teleport'], /Unknown argument: teleport/],
    [['start', '--script', '/no/such/script.sh'], /cannot read the script \/no\/such\/script.sh: no such file/],
    [['start'], /the command is empty.*--script FILE/s],
    [['start', '--', '  '], /the command is empty/],
    [['start', '--name', '42', '--', 'true'], /looks like an id/],
    [['start', '--env', 'not an assignment', '--', 'true'], /NAME=VALUE/],
    [['invoke', '--', 'true'], /no hosts given/],
    [['invoke', '-f', '/no/such/hosts', '--', 'true'], /cannot read the hosts file/],
    [['invoke', '-c', 'localhost', '--throttle', '0', '--', 'true'], /--throttle/],
    [['receive', '1', '--auto-remove'], /--auto-remove goes with --wait/],
    [['remove'], /name the jobs to remove/],
    [['get', '--state', 'Sideways'], /unknown state "Sideways"/],
  ])('fleet %j exits 2 and says what was wrong', async (args, message) => {
    const result = await fleet.env.fleet(args);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
    expect(await fleet.env.json<JobJson[]>(['get'])).toEqual([]);
  });

  it('refuses a bad host entry with the file, line and entry, before anything runs', async () => {
    const hosts = join(fleet.env.home, 'computers.txt');
    await writeFile(hosts, '# web tier\nlocalhost\n\n-oProxyCommand=touch /tmp/pwned\n');
    const result = await fleet.env.fleet(['invoke', '-f', hosts, '--', 'true']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${hosts}:4: bad host entry "-oProxyCommand=touch /tmp/pwned"`);
    expect(await fleet.env.json<JobJson[]>(['get'])).toEqual([]);
    const stdin = await fleet.env.fleet(['invoke', '-f', '-', '--', 'true'], { input: 'localhost\na;b\n' });
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toContain('<stdin>:2: bad host entry "a;b"');
  });

  it('refuses a malformed setting in the environment', async () => {
    const result = await fleet.env.fleet(['get'], { env: { FLEET_RETENTION: 'forever' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/FLEET_RETENTION: "forever" is not a duration/);
  });

  it('exits 3 quickly when Redis at an explicit URL does not answer', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    // The CLI is killed after 20 s, so a hang fails here with code null rather than 3.
    const result = await fleet.env.fleet(['get'], { env: { FLEET_REDIS_URL: url }, timeoutMs: 20_000 });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`cannot reach Redis at ${url}`);
    const viaFlag = await fleet.env.fleet(['start', '--redis', url, '--', 'true'], { timeoutMs: 20_000 });
    expect(viaFlag.code).toBe(3);
  });

  it('exits 3 and says why when no agent can be started', async () => {
    const file = join(fleet.env.home, 'not-a-directory');
    await writeFile(file, '');
    const result = await fleet.env.fleet(['start', '--', 'true'], { env: { FLEET_STATE_DIR: join(file, 'state') } });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/cannot start an agent: .*not-a-directory.*\n.*FLEET_STATE_DIR/s);
    expect(await fleet.env.json<JobJson[]>(['get'])).toEqual([]);
  });
});
