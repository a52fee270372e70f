import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import type { PublicSigningKey, SigningKey } from './job-signature.js';

/**
 * Sealing: how a secret (the `--ask-sudo-pass` password) reaches the agents
 * that run a job without anyone who reads Redis learning it. Each agent has
 * an X25519 key pair; a trusted signing key vouches for its public half
 * (signs it, bound to the deployment, prefix and agent id), and the CLI seals
 * the secret to each agent it finds vouched for: an ephemeral X25519 key
 * agreement, HKDF-SHA256, AES-256-GCM, with the deployment, prefix, job id and
 * agent id as associated data, so a sealed copy opens only for that agent and
 * that job. A Redis writer can register an agent with a key of its own, but
 * not a vouch for it: it gets nothing sealed to it.
 */

/** An agent's sealing key pair. */
export interface SealingKey {
  privateKey: KeyObject;
  /** The raw 32-byte public key, base64. */
  publicKey: string;
}

/** What an agent publishes in its registry entry: its public key and the vouch for it. */
export interface SealingIdentity {
  /** The raw X25519 public key, base64. */
  publicKey: string;
  /** The fingerprint of the signing key that vouched. */
  vouchKeyId: string;
  /** Base64 Ed25519 signature of {@link vouchPayload}. */
  vouch: string;
}

/** Where an agent's sealing key is valid: the agent it belongs to. */
export interface SealingScope {
  deployment: string;
  prefix: string;
  agentId: string;
}

/** One sealed copy, stored as JSON beside the job. */
export interface SealedSecret {
  /** The ephemeral X25519 public key, raw, base64. */
  ephemeral: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

export function generateSealingKey(): SealingKey {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privateKey, publicKey: rawX25519(publicKey) };
}

/** The pair of an X25519 private key read back (a node agent's, from the file deploy sent); throws for another kind of key. */
export function sealingKeyFromPrivate(privateKey: KeyObject): SealingKey {
  if (privateKey.asymmetricKeyType !== 'x25519') throw new Error('not an X25519 private key');
  return { privateKey, publicKey: rawX25519(createPublicKey(privateKey)) };
}

/** The bytes a vouch signs: domain-separated from job signatures, and bound to one agent of one deployment. */
export function vouchPayload(scope: SealingScope, publicKey: string): Buffer {
  return Buffer.from(JSON.stringify(['fleet-seal/1', scope.deployment, scope.prefix, scope.agentId, publicKey]));
}

export function vouchFor(signer: SigningKey, scope: SealingScope, publicKey: string): SealingIdentity {
  return { publicKey, vouchKeyId: signer.id, vouch: sign(null, vouchPayload(scope, publicKey), signer.privateKey).toString('base64') };
}

/** True when a trusted key signed this agent's sealing key for this deployment, prefix and agent id. */
export function vouchHolds(
  identity: SealingIdentity | undefined,
  scope: SealingScope,
  trusted: (keyId: string) => PublicSigningKey | undefined,
): boolean {
  if (identity === undefined || typeof identity.publicKey !== 'string' || typeof identity.vouch !== 'string') return false;
  const key = trusted(identity.vouchKeyId);
  if (key === undefined) return false;
  try {
    return verify(null, vouchPayload(scope, identity.publicKey), key.key, Buffer.from(identity.vouch, 'base64'));
  } catch {
    return false;
  }
}

/** What a sealed copy is bound to: it opens only for this agent and this job. */
export interface SealedFor extends SealingScope {
  jobId: number;
}

export function sealSecret(secret: Buffer, recipientPublicKey: string, sealedFor: SealedFor): SealedSecret {
  const ephemeral = generateKeyPairSync('x25519');
  const recipient = x25519PublicKey(recipientPublicKey);
  const ephemeralPublic = rawX25519(ephemeral.publicKey);
  const key = sealKey(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient }), ephemeralPublic, recipientPublicKey);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(sealAad(sealedFor));
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  return {
    ephemeral: ephemeralPublic,
    iv: iv.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/** The secret, or null when this copy was not sealed to this key for this job (or was changed). */
export function openSealedSecret(sealed: SealedSecret, key: SealingKey, sealedFor: SealedFor): Buffer | null {
  try {
    const shared = diffieHellman({ privateKey: key.privateKey, publicKey: x25519PublicKey(sealed.ephemeral) });
    const decipher = createDecipheriv('aes-256-gcm', sealKey(shared, sealed.ephemeral, key.publicKey), Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(sealAad(sealedFor));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]);
  } catch {
    return null;
  }
}

function sealKey(shared: Buffer, ephemeralPublic: string, recipientPublic: string): Buffer {
  const salt = Buffer.concat([Buffer.from(ephemeralPublic, 'base64'), Buffer.from(recipientPublic, 'base64')]);
  return Buffer.from(hkdfSync('sha256', shared, salt, 'fleet-seal/1 aes-256-gcm', 32));
}

function sealAad(sealedFor: SealedFor): Buffer {
  return Buffer.from(JSON.stringify(['fleet-sealed/1', sealedFor.deployment, sealedFor.prefix, sealedFor.jobId, sealedFor.agentId]));
}

function rawX25519(key: KeyObject): string {
  const x = key.export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new Error('not an X25519 public key');
  return Buffer.from(x, 'base64url').toString('base64');
}

function x25519PublicKey(raw: string): KeyObject {
  const bytes = Buffer.from(raw, 'base64');
  if (bytes.length !== 32) throw new Error('not an X25519 public key');
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: bytes.toString('base64url') }, format: 'jwk' });
}
