import { loadOrCreateSigningKey } from '@fleet/agent/signing-key-file';
import { jobSigner, resolveSettings, type JobSigner, type SigningKey } from '@fleet/core';
import type { FleetEnv } from './fleet-env.js';

/** The test user's signing key: the one its CLI signs with and its agents trust. */
export async function userSigningKey(env: FleetEnv): Promise<SigningKey> {
  return loadOrCreateSigningKey(resolveSettings({ env: env.env, homeDir: env.home }).signingKeyPath);
}

/** Signs jobs as the test user's CLI would, valid for `ttlMs`. */
export async function userSigner(env: FleetEnv, ttlMs = 10 * 60_000): Promise<JobSigner> {
  return jobSigner(await userSigningKey(env), Date.now() + ttlMs);
}
