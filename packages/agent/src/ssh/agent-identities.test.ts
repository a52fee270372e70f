import { describe, expect, it } from 'vitest';
import { chooseAgentIdentities, parseIdentitiesAnswer, type AgentIdentity } from './agent-identities.js';

function sshString(value: Buffer | string): Buffer {
  const bytes = Buffer.from(value);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function blob(type: string, body: string): Buffer {
  return Buffer.concat([sshString(type), sshString(body)]);
}

function answer(keys: [Buffer, string][]): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(keys.length);
  return Buffer.concat([Buffer.from([12]), count, ...keys.flatMap(([key, comment]) => [sshString(key), sshString(comment)])]);
}

const ED = blob('ssh-ed25519', 'ed-key');
const RSA = blob('ssh-rsa', 'rsa-key');
const ECDSA = blob('ecdsa-sha2-nistp256', 'ec-key');
const CERT = blob('ssh-ed25519-cert-v01@openssh.com', 'cert');

describe('parseIdentitiesAnswer', () => {
  it('reads every key with its comment and type, certificates included', () => {
    expect(
      parseIdentitiesAnswer(
        answer([
          [ED, 'me@laptop'],
          [CERT, 'signed by ops CA'],
        ]),
      ),
    ).toEqual([
      { blob: ED, comment: 'me@laptop', type: 'ssh-ed25519' },
      { blob: CERT, comment: 'signed by ops CA', type: 'ssh-ed25519-cert-v01@openssh.com' },
    ]);
    expect(parseIdentitiesAnswer(answer([]))).toEqual([]);
  });

  it('refuses a message that is not a whole identities answer', () => {
    const whole = answer([[ED, 'me']]);
    expect(parseIdentitiesAnswer(whole.subarray(0, whole.length - 1))).toBeNull();
    expect(parseIdentitiesAnswer(Buffer.from([5]))).toBeNull();
  });
});

describe('chooseAgentIdentities', () => {
  const identities = parseIdentitiesAnswer(
    answer([
      [ED, 'ed'],
      [CERT, 'ops-cert'],
      [RSA, 'rsa'],
      [ECDSA, 'ec'],
    ]),
  ) as AgentIdentity[];
  const all = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256'];

  it('offers every plain key in the agent order, and names each certificate it cannot use', () => {
    const { offered, unusable } = chooseAgentIdentities(identities, { only: null, pubkeyAcceptedAlgorithms: all });
    expect(offered.map((identity) => identity.comment)).toEqual(['ed', 'rsa', 'ec']);
    expect(unusable).toEqual([expect.stringMatching(/^agent certificate ops-cert \(ssh-ed25519-cert-v01@openssh.com\) not used: .*ssh2/)]);
  });

  it('with IdentitiesOnly offers only the keys of the identity files', () => {
    const only = new Set([RSA.toString('base64')]);
    expect(chooseAgentIdentities(identities, { only, pubkeyAcceptedAlgorithms: all }).offered.map((identity) => identity.comment)).toEqual([
      'rsa',
    ]);
  });

  it('leaves out key types PubkeyAcceptedAlgorithms does not allow', () => {
    const { offered } = chooseAgentIdentities(identities, { only: null, pubkeyAcceptedAlgorithms: ['ssh-ed25519'] });
    expect(offered.map((identity) => identity.comment)).toEqual(['ed']);
  });
});
