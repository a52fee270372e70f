import { describe, expect, it } from 'vitest';
import {
  formatPublicKey,
  formatPrivateKey,
  generateSigningKey,
  parsePrivateKey,
  parseTrustedKeys,
  signatureKeyId,
  signJob,
  verifyJob,
  type SignedJobFields,
} from './job-signature.js';

const key = generateSigningKey();
const trusted = parseTrustedKeys(formatPublicKey(key.publicKey, 'me@here'), 'trusted-keys');
const lookup = (id: string) => trusted.find((candidate) => candidate.id === id);
const fields: SignedJobFields = {
  deployment: 'staging',
  prefix: '{fleet}',
  jobId: 8,
  location: 'web1',
  rank: 1,
  count: 3,
  spec: '{"command":{"kind":"shell","line":"uptime"}}',
};
const now = 1_800_000_000_000;

describe('job signatures', () => {
  it('verify over exactly the fields signed, by a trusted key, before expiry', async () => {
    const stored = signJob(key, fields, now + 1000);
    await expect(verifyJob(stored, fields, lookup, now)).resolves.toEqual({
      ok: true,
      keyId: key.id,
      expiresAt: now + 1000,
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(signatureKeyId(stored)).toBe(key.id);
  });

  it('name the same signed job by the same digest, and another job by another', async () => {
    const digest = async (stored: string, checked = fields) => {
      const verdict = await verifyJob(stored, checked, lookup, now);
      return verdict.ok ? verdict.digest : verdict.reason;
    };
    const stored = signJob(key, fields, now + 1000);
    // The base64 written another way (a replay that hopes to be remembered under another name) names the same job.
    const respelled = JSON.parse(stored) as { signature: string };
    respelled.signature = `${respelled.signature}\n`;
    expect(await digest(JSON.stringify(respelled))).toBe(await digest(stored));
    expect(await digest(signJob(key, { ...fields, jobId: 9 }, now + 1000), { ...fields, jobId: 9 })).not.toBe(await digest(stored));
    expect(await digest(signJob(key, fields, now + 2000))).not.toBe(await digest(stored));
  });

  it('refuse a job signed for another deployment, naming both, and a deployment written over the signed one', async () => {
    const stored = signJob(key, fields, now + 1000);
    await expect(verifyJob(stored, { ...fields, deployment: 'prod' }, lookup, now)).resolves.toEqual({
      ok: false,
      reason: 'refused: signed for deployment staging, this agent serves deployment prod',
    });
    const relabelled = { ...(JSON.parse(stored) as object), deployment: 'prod' };
    await expect(verifyJob(JSON.stringify(relabelled), { ...fields, deployment: 'prod' }, lookup, now)).resolves.toMatchObject({
      reason: expect.stringMatching(/^refused: bad signature/),
    });
  });

  it('refuse a signature made before deployments (fleet-job/2, no deployment) as malformed', async () => {
    const { deployment: _, ...old } = JSON.parse(signJob(key, fields, now + 1000)) as { deployment: string };
    await expect(verifyJob(JSON.stringify(old), fields, lookup, now)).resolves.toMatchObject({
      reason: expect.stringMatching(/malformed \(or made by a fleet older than this agent\)/),
    });
  });

  it('refuse any change to the prefix, id, host, rank, count or spec', async () => {
    const stored = signJob(key, fields, now + 1000);
    for (const changed of [
      { ...fields, prefix: '{other}' },
      { ...fields, jobId: 9 },
      { ...fields, location: 'web2' },
      { ...fields, rank: 0 },
      { ...fields, count: 4 },
      { ...fields, spec: fields.spec.replace('uptime', 'reboot') },
    ]) {
      await expect(verifyJob(stored, changed, lookup, now)).resolves.toMatchObject({
        ok: false,
        reason: expect.stringMatching(/^refused: bad signature/),
      });
    }
  });

  it('refuse a later expiry written over the signed one, and an expired signature', async () => {
    const stored = JSON.parse(signJob(key, fields, now - 1)) as { expiresAt: number };
    await expect(verifyJob(JSON.stringify(stored), fields, lookup, now)).resolves.toMatchObject({
      reason: expect.stringMatching(/expired at/),
    });
    stored.expiresAt = now + 3600_000;
    await expect(verifyJob(JSON.stringify(stored), fields, lookup, now)).resolves.toMatchObject({
      reason: expect.stringMatching(/bad signature/),
    });
  });

  it('refuse no signature, a malformed one, and an unknown key, saying which', async () => {
    await expect(verifyJob(null, fields, lookup, now)).resolves.toMatchObject({ reason: expect.stringMatching(/not signed/) });
    await expect(verifyJob('{"keyId":1}', fields, lookup, now)).resolves.toMatchObject({ reason: expect.stringMatching(/malformed/) });
    const stranger = generateSigningKey();
    await expect(verifyJob(signJob(stranger, fields, now + 1000), fields, lookup, now, 'add it to F')).resolves.toEqual({
      ok: false,
      reason: `refused: signed by key ${stranger.id}, which this agent does not trust (add it to F)`,
    });
  });

  it('keep a field from spilling into the next: no two jobs sign the same bytes', async () => {
    const stored = signJob(key, { ...fields, location: 'a', spec: 'b' }, now + 1000);
    await expect(verifyJob(stored, { ...fields, location: 'a","b', spec: '' }, lookup, now)).resolves.toMatchObject({ ok: false });
  });
});

describe('key files', () => {
  it('read back the private key they wrote', () => {
    expect(parsePrivateKey(formatPrivateKey(key)).id).toBe(key.id);
  });

  it('read trusted keys with comments and blank lines, and refuse a line that is not a key', () => {
    const text = `# ops\n\n${formatPublicKey(key.publicKey, 'me@here')}\n`;
    expect(parseTrustedKeys(text, 'f').map((entry) => [entry.id, entry.comment])).toEqual([[key.id, 'me@here']]);
    expect(() => parseTrustedKeys('ssh-ed25519 AAAA me', 'f')).toThrow(/^f:1: not a fleet public key/);
    expect(() => parseTrustedKeys('fleet-ed25519 c2hvcnQ=', 'f')).toThrow(/^f:1:/);
  });
});
