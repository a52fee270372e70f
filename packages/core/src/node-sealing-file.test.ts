import { describe, expect, it } from 'vitest';
import { generateSigningKey } from './job-signature.js';
import { nodeSealingFile, parseNodeSealingFile } from './node-sealing-file.js';
import { generateSealingKey, openSealedSecret, sealSecret, vouchHolds } from './sealing.js';

const signer = generateSigningKey();
const trusted = (id: string) => (id === signer.id ? { id, key: signer.publicKey, comment: '' } : undefined);
const scope = { deployment: 'dep-1', prefix: 'fleet', agentId: 'fleet-test-sudo@web1' };

describe('the sealing key file deploy sends a node agent', () => {
  it('reads back the key it was made with, and a vouch that holds for the entry only', () => {
    const key = generateSealingKey();
    const read = parseNodeSealingFile(nodeSealingFile(signer, scope, key));
    expect(read.holder).toBe(scope.agentId);
    expect(read.key.publicKey).toBe(key.publicKey);
    expect(vouchHolds(read.identity, scope, trusted)).toBe(true);
    expect(vouchHolds(read.identity, { ...scope, agentId: 'web2' }, trusted)).toBe(false);
    expect(vouchHolds(read.identity, { ...scope, deployment: 'dep-2' }, trusted)).toBe(false);
    // What is sealed to the published key opens with the key read back.
    const sealedFor = { ...scope, agentId: 'web1-123-abc', jobId: 7 };
    const sealed = sealSecret(Buffer.from('secret'), read.identity.publicKey, sealedFor);
    expect(openSealedSecret(sealed, read.key, sealedFor)?.toString()).toBe('secret');
  });

  it('refuses a file whose public key is not its private key’s, or that is not one at all', () => {
    const json = JSON.parse(nodeSealingFile(signer, scope, generateSealingKey())) as Record<string, string>;
    const swapped = JSON.stringify({ ...json, publicKey: generateSealingKey().publicKey });
    expect(() => parseNodeSealingFile(swapped)).toThrow('its public key is not the private key’s');
    expect(() => parseNodeSealingFile(JSON.stringify({ ...json, privateKey: 'x' }))).toThrow('not an X25519 key');
    expect(() => parseNodeSealingFile(JSON.stringify({ ...json, vouch: undefined }))).toThrow('no vouch');
    expect(() => parseNodeSealingFile('{')).toThrow('not JSON');
  });
});
