import { describe, expect, it } from 'vitest';
import { generateSigningKey, type PublicSigningKey } from './job-signature.js';
import { generateSealingKey, openSealedSecret, sealSecret, vouchFor, vouchHolds } from './sealing.js';

const scope = { deployment: 'd1', prefix: '{fleet}', agentId: 'host-1-abc' };
const sealedFor = { ...scope, jobId: 7 };

describe('sealing', () => {
  it('opens only with the agent key, for the same deployment, prefix, job and agent', () => {
    const agent = generateSealingKey();
    const sealed = sealSecret(Buffer.from('s3cret'), agent.publicKey, sealedFor);
    expect(JSON.stringify(sealed)).not.toContain('s3cret');
    expect(openSealedSecret(sealed, agent, sealedFor)?.toString()).toBe('s3cret');
    expect(openSealedSecret(sealed, generateSealingKey(), sealedFor)).toBeNull();
    for (const other of [{ jobId: 8 }, { agentId: 'host-2-def' }, { deployment: 'd2' }, { prefix: '{other}' }]) {
      expect(openSealedSecret(sealed, agent, { ...sealedFor, ...other })).toBeNull();
    }
    const flipped = Buffer.from(sealed.ciphertext, 'base64');
    flipped[0] = (flipped[0] as number) ^ 1;
    expect(openSealedSecret({ ...sealed, ciphertext: flipped.toString('base64') }, agent, sealedFor)).toBeNull();
  });

  it('accepts a vouch only from a trusted key, for this agent and key', () => {
    const signer = generateSigningKey();
    const trusted = (id: string): PublicSigningKey | undefined =>
      id === signer.id ? { id, key: signer.publicKey, comment: '' } : undefined;
    const agent = generateSealingKey();
    const identity = vouchFor(signer, scope, agent.publicKey);
    expect(vouchHolds(identity, scope, trusted)).toBe(true);
    expect(vouchHolds(identity, { ...scope, agentId: 'someone-else' }, trusted)).toBe(false);
    expect(vouchHolds({ ...identity, publicKey: generateSealingKey().publicKey }, scope, trusted)).toBe(false);
    expect(vouchHolds(vouchFor(generateSigningKey(), scope, agent.publicKey), scope, trusted)).toBe(false);
    expect(vouchHolds(undefined, scope, trusted)).toBe(false);
  });
});
