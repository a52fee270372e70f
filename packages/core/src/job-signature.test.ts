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
    await expect(verifyJob(stored, fields, lookup, now)).resolves.toEqual({ ok: true, keyId: key.id });
    expect(signatureKeyId(stored)).toBe(key.id);
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
