import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPublicKey, generateSigningKey, jobSigner, type SignedJobFields, type SigningKey } from '@fleet/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateSigningKey } from './signing-key-file.js';
import { TrustStore } from './trust-store.js';

const fields: Omit<SignedJobFields, 'deployment'> = {
  prefix: '{fleet}',
  jobId: 8,
  location: 'localhost',
  rank: 0,
  count: 1,
  spec: '{"command":{"kind":"shell","line":"uptime"}}',
};
const signedBy = (key: SigningKey) => jobSigner(key, Date.now() + 60_000, 'test').sign(fields);

describe('TrustStore', () => {
  let dir: string;
  let own: SigningKey;
  let other: SigningKey;
  let trustedKeysPath: string;
  const logged: string[] = [];
  const open = () => TrustStore.open({ signingKeyPath: join(dir, 'signing-key'), trustedKeysPath, log: (line) => logged.push(line) });
  const verdict = async (trust: TrustStore, key: SigningKey) => (await trust.verify(signedBy(key), { ...fields, deployment: 'test' })).ok;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleet-trust-'));
    own = await loadOrCreateSigningKey(join(dir, 'signing-key'));
    other = generateSigningKey();
    trustedKeysPath = join(dir, 'trusted-keys');
    logged.length = 0;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('trusts only its own key while the trusted-keys file is malformed mid-run, says so, and the listed keys again once it is fixed', async () => {
    await writeFile(trustedKeysPath, `${formatPublicKey(other.publicKey, 'other@there')}\n`);
    const trust = await open();
    expect(await verdict(trust, other)).toBe(true);

    // Half of an editor's save: the first line cut short.
    await writeFile(trustedKeysPath, `${formatPublicKey(other.publicKey, 'other@there').slice(0, 30)}\n`);
    expect(await verdict(trust, other)).toBe(false);
    expect(await verdict(trust, own)).toBe(true);
    expect(trust.trustedKeyIds).toEqual([own.id]);
    expect(logged.at(-1)).toBe(
      `trusted keys: ${trustedKeysPath}:1: not a fleet public key (expected "fleet-ed25519 BASE64 [comment]", as 'fleet key' prints); ` +
        'its keys are not trusted until it reads cleanly (now trusted: this user)',
    );

    await writeFile(trustedKeysPath, `${formatPublicKey(other.publicKey, 'other@there')}\n`);
    expect(await verdict(trust, other)).toBe(true);
    expect(trust.trustedKeyIds.sort()).toEqual([own.id, other.id].sort());
  });

  it('reads a file that failed again at the next check, not only after the next edit', async () => {
    await writeFile(trustedKeysPath, '');
    const trust = await open();
    await writeFile(trustedKeysPath, 'not a key\n');
    expect(await verdict(trust, own)).toBe(true);
    const failures = logged.length;
    expect(failures).toBeGreaterThan(0);
    expect(await verdict(trust, own)).toBe(true);
    expect(logged.length).toBeGreaterThan(failures);
  });

  it('refuses to open on a malformed trusted-keys file', async () => {
    await writeFile(trustedKeysPath, 'not a key\n');
    await expect(open()).rejects.toThrow(`${trustedKeysPath}:1: not a fleet public key`);
  });
});
