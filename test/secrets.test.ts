import { readFile } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { userSigningKey } from './support/signing.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(2);

/** Every value under a key prefix, whatever its type, as one string. */
async function everything(client: Redis, pattern: string): Promise<string> {
  const parts: string[] = [];
  for (const key of await client.keys(pattern)) {
    const type = await client.type(key);
    parts.push(key);
    if (type === 'string') parts.push((await client.get(key)) ?? '');
    else if (type === 'hash') parts.push(JSON.stringify(await client.hgetall(key)));
    else if (type === 'list') parts.push(...(await client.lrange(key, 0, -1)));
    else if (type === 'set') parts.push(...(await client.smembers(key)));
    else if (type === 'zset') parts.push(...(await client.zrange(key, 0, '-1')));
    else if (type === 'stream') parts.push(JSON.stringify(await client.xrange(key, '-', '+')));
  }
  return parts.join('\n');
}

describe('what Redis holds', () => {
  it('never a private key (SSH or signing), nor a password, after a fan-out over SSH', async () => {
    const parent = await ssh.env.json<JobJson>([
      'invoke',
      '-f',
      ssh.fleet.computersFile,
      '--as-job',
      '--env',
      'GREETING=hello',
      '--',
      'echo "$GREETING"',
    ]);
    await untilState(ssh.env, parent.id, ['Completed']);
    const stored = await everything(ssh.redis.client(), `${ssh.env.prefix}*`);
    expect(stored).toContain('hello'); // the scan does see job data
    const key = await readFile(ssh.fleet.clientKey, 'utf8');
    const body = key.split('\n').filter((line) => line && !line.startsWith('-----'));
    expect(body.length).toBeGreaterThan(2);
    for (const line of body) expect(stored).not.toContain(line);
    expect(stored).not.toContain('PRIVATE KEY');
    // Nor the signing key: its raw 32-byte seed, in any encoding the store might use.
    const signing = await userSigningKey(ssh.env);
    const seed = Buffer.from(signing.privateKey.export({ format: 'jwk' }).d as string, 'base64url');
    expect(stored).toContain(signing.id); // the signatures are there, naming the key
    for (const encoding of ['base64', 'base64url', 'hex'] as const)
      expect(stored).not.toContain(seed.toString(encoding).replace(/=+$/, ''));
  });

  it('keeps job names out of key names: any name finds only its own jobs', async () => {
    const odd = ['}{fleet}:job:1', 'a:b*c', 'naïve name', '[x]?'];
    for (const name of odd) await ssh.env.json<JobJson>(['start', '--name', name, '--', 'true']);
    for (const [index, name] of odd.entries()) {
      const found = await ssh.env.json<JobJson[]>(['get', name]);
      expect(found.map((job) => [job.id, job.name])).toEqual([[index + 1, name]]);
    }
    const keys = await ssh.redis.client().keys(`${ssh.env.prefix}*`);
    for (const key of keys) for (const name of odd) expect(key).not.toContain(name);
    const refused = await ssh.env.fleet(['start', '--name', 'two\nlines', '--', 'true']);
    expect([refused.code, refused.stderr]).toEqual([2, expect.stringMatching(/contains a control character/)]);
  });
});
