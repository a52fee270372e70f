import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeploymentMismatchError } from '@fleet/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deploymentPinFile, resolveDeployment } from './deployment-pin.js';
import { fleetKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/** GET and SET NX over a map, as Redis does them one at a time. */
function redisInAMap() {
  const values = new Map<string, string>();
  const client = {
    get: (key: string) => Promise.resolve(values.get(key) ?? null),
    set: (key: string, value: string, nx: 'NX') => {
      expect(nx).toBe('NX');
      if (values.has(key)) return Promise.resolve(null);
      values.set(key, value);
      return Promise.resolve('OK');
    },
  };
  return { values, client: client as unknown as RedisClient };
}

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'fleet-pin-'));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

const keys = fleetKeys('{fleet}');
const target = { kind: 'url', url: 'redis://fleet:secret@10.0.0.5:6379' } as const;

describe('resolveDeployment', () => {
  it('takes FLEET_DEPLOYMENT as it is, touching neither Redis nor the state directory', async () => {
    const { values, client } = redisInAMap();
    expect(await resolveDeployment({ client, keys, target, named: 'prod', stateDir })).toBe('prod');
    expect(values.size).toBe(0);
  });

  it('makes one id for processes meeting a new Redis at once, and pins it without the password', async () => {
    const { values, client } = redisInAMap();
    const ids = await Promise.all([1, 2, 3].map(() => resolveDeployment({ client, keys, target, named: null, stateDir })));
    expect(new Set(ids).size).toBe(1);
    expect(values.get(keys.deployment)).toBe(ids[0]);
    const pinFile = deploymentPinFile(stateDir, 'redis://fleet:***@10.0.0.5:6379', '{fleet}');
    expect(JSON.parse(await readFile(pinFile, 'utf8'))).toEqual({
      endpoint: 'redis://fleet:***@10.0.0.5:6379',
      prefix: '{fleet}',
      deployment: ids[0],
    });
  });

  it('gives a Redis that lost its id the pinned one, and refuses another id than the pin', async () => {
    const { values, client } = redisInAMap();
    const id = await resolveDeployment({ client, keys, target, named: null, stateDir });
    values.clear();
    expect(await resolveDeployment({ client, keys, target, named: null, stateDir })).toBe(id);
    expect(values.get(keys.deployment)).toBe(id);
    values.set(keys.deployment, 'planted');
    const refused = resolveDeployment({ client, keys, target, named: null, stateDir });
    await expect(refused).rejects.toBeInstanceOf(DeploymentMismatchError);
    await expect(refused).rejects.toMatchObject({ inRedis: 'planted', pinned: id, endpoint: 'redis://fleet:***@10.0.0.5:6379' });
  });

  it('makes and runs nothing when the pin cannot be written', async () => {
    const { client } = redisInAMap();
    const file = join(stateDir, 'a-file');
    await writeFile(file, '');
    await writeFile(join(stateDir, 'deployments'), '');
    // The state directory is a directory, but its deployments/ is a file: the pin cannot be written.
    await expect(resolveDeployment({ client, keys, target, named: null, stateDir })).rejects.toMatchObject({
      message: expect.stringMatching(/^cannot pin deployment \S+ in .*\/deployments\/[0-9a-f]{32}\.json: /),
      hint: 'check FLEET_STATE_DIR',
    });
    // A state directory that is not one is refused before anything is pinned.
    await expect(resolveDeployment({ client, keys, target, named: null, stateDir: file })).rejects.toThrow(/a-file/);
  });

  it('refuses an id in Redis that is not a deployment name, and pins nothing', async () => {
    const { client, values } = redisInAMap();
    values.set(keys.deployment, 'x\u001b]0;PWNED\u0007');
    await expect(resolveDeployment({ client, keys, target, named: null, stateDir })).rejects.toThrow(/is not a deployment name/);
    await expect(readdir(join(stateDir, 'deployments'))).rejects.toThrow(/ENOENT/);
  });

  it('keeps a pin per endpoint and prefix', async () => {
    const staging = redisInAMap();
    const prod = redisInAMap();
    const other = { kind: 'url', url: 'redis://10.0.0.6:6379' } as const;
    const a = await resolveDeployment({ client: staging.client, keys, target, named: null, stateDir });
    const b = await resolveDeployment({ client: prod.client, keys, target: other, named: null, stateDir });
    expect(a).not.toBe(b);
    const c = await resolveDeployment({ client: prod.client, keys: fleetKeys('{other}'), target: other, named: null, stateDir });
    expect(c).not.toBe(b);
  });
});
