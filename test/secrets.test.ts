import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { everything } from './support/redis-dump.js';
import { userSigningKey } from './support/signing.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(2);

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
