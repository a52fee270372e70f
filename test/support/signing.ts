import { loadOrCreateSigningKey } from '@fleet/agent/signing-key-file';
import { jobSigner, resolveSettings, type JobSigner, type SigningKey } from '@fleet/core';
import { fleetKeys, resolveDeployment, targetFromUrl } from '@fleet/store';
import { Redis } from 'ioredis';
import type { FleetEnv } from './fleet-env.js';

/** The test user's signing key: the one its CLI signs with and its agents trust. */
export async function userSigningKey(env: FleetEnv): Promise<SigningKey> {
  return loadOrCreateSigningKey(resolveSettings({ env: env.env, homeDir: env.home }).signingKeyPath);
}

/** The deployment the test user's CLI signs for (and its agents serve), found as the CLI finds it. */
export async function userDeployment(env: FleetEnv): Promise<string> {
  const settings = resolveSettings({ env: env.env, homeDir: env.home });
  if (settings.deployment !== null) return settings.deployment;
  const url = env.env.FLEET_REDIS_URL;
  if (url === undefined) throw new Error('userDeployment needs FLEET_REDIS_URL or FLEET_DEPLOYMENT');
  const client = new Redis(url);
  try {
    return await resolveDeployment({
      client,
      keys: fleetKeys(settings.prefix),
      target: targetFromUrl(url),
      named: null,
      stateDir: settings.stateDir,
    });
  } finally {
    client.disconnect();
  }
}

/** Signs jobs as the test user's CLI would, valid for `ttlMs`. */
export async function userSigner(env: FleetEnv, ttlMs = 10 * 60_000): Promise<JobSigner> {
  return jobSigner(await userSigningKey(env), Date.now() + ttlMs, await userDeployment(env));
}
