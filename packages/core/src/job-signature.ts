import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { UsageError } from './errors.js';

/**
 * Job signing: what keeps someone who can write to Redis from making agents
 * run commands. The controller signs each leaf job over exactly what an
 * agent will act on (the deployment, the key prefix, the job id, the target
 * host, its rank and count among its siblings, the stored run spec byte for
 * byte, and an expiry); an agent runs a job only when the signature verifies
 * under a key it trusts, for the deployment it serves.
 */

/** The label that starts a public key line, so it is never mistaken for an SSH key. */
const PUBLIC_KEY_LABEL = 'fleet-ed25519';

/** A public key an agent may trust. */
export interface PublicSigningKey {
  /** `SHA256:` and the unpadded base64 of the raw key's SHA-256, as OpenSSH prints fingerprints. */
  id: string;
  key: KeyObject;
  /** The text after the key on its line (who it belongs to), or empty. */
  comment: string;
}

/** A controller's key pair. */
export interface SigningKey {
  id: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** What a signature covers: everything an agent acts on when it runs a leaf job. */
export interface SignedJobFields {
  /**
   * The deployment the job was made for (FLEET_DEPLOYMENT, or the id kept in
   * Redis: see deployment-id.ts), so that a job copied from another Redis
   * with the same prefix and ids is refused.
   */
  deployment: string;
  prefix: string;
  jobId: number;
  /** The host entry the job runs on (`localhost` for local jobs). */
  location: string;
  /** Its 0-based place among its parent's children in host-list order (0 for a `start` job): `FLEET_RANK`. */
  rank: number;
  /** How many children its parent has (1 for a `start` job): `FLEET_COUNT`. */
  count: number;
  /** The run spec exactly as stored in Redis (JSON text). */
  spec: string;
}

/** The signature stored beside a leaf job (as JSON in its `signature` field). */
export interface JobSignature {
  /** Which key signed (its fingerprint). */
  keyId: string;
  /** Epoch ms after which no agent starts the job. */
  expiresAt: number;
  /** The deployment it was signed for (signed too: this copy only names it in a refusal). */
  deployment: string;
  /** Base64 Ed25519 signature of {@link signedPayload}. */
  signature: string;
}

/**
 * Whether an agent may run a job: which key vouched for it, or why it is
 * refused. A valid one also says when it expires and names the signed job
 * (`digest`, the SHA-256 of the signed bytes in hex), so that an agent can
 * remember having run it (see ran-record.ts).
 */
export type SignatureVerdict = { ok: true; keyId: string; expiresAt: number; digest: string } | { ok: false; reason: string };

export interface VerifyJobOptions {
  /**
   * Accept a signature past its expiry: for asking what a job was made as
   * (`invoke --rerun-failed`), never for deciding whether to run it.
   * @defaultValue false
   */
  ignoreExpiry?: boolean;
}

export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { id: keyFingerprint(publicKey), privateKey, publicKey };
}

/** Reads a PKCS#8 PEM Ed25519 private key, as {@link formatPrivateKey} writes it. */
export function parsePrivateKey(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`not an Ed25519 key (${privateKey.asymmetricKeyType})`);
  const publicKey = createPublicKey(privateKey);
  return { id: keyFingerprint(publicKey), privateKey, publicKey };
}

export function formatPrivateKey(key: SigningKey): string {
  return key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** One line: `fleet-ed25519 BASE64 comment`, the form trusted-keys files hold. */
export function formatPublicKey(key: KeyObject, comment = ''): string {
  return `${PUBLIC_KEY_LABEL} ${rawPublicKey(key).toString('base64')}${comment === '' ? '' : ` ${comment}`}`;
}

/**
 * Reads a trusted-keys file: one {@link formatPublicKey} line per key; blank
 * lines and `#` comments are skipped. A line that is not a key throws, naming
 * it: a trust list that silently drops a key is worse than one that fails.
 */
export function parseTrustedKeys(text: string, source: string): PublicSigningKey[] {
  const keys: PublicSigningKey[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [label, base64 = '', ...comment] = line.split(/\s+/);
    const bytes = Buffer.from(base64, 'base64');
    if (label !== PUBLIC_KEY_LABEL || bytes.length !== 32 || bytes.toString('base64') !== base64) {
      throw new UsageError(
        `${source}:${index + 1}: not a fleet public key (expected "${PUBLIC_KEY_LABEL} BASE64 [comment]", as 'fleet key' prints)`,
      );
    }
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: bytes.toString('base64url') }, format: 'jwk' });
    keys.push({ id: keyFingerprint(key), key, comment: comment.join(' ') });
  });
  return keys;
}

export function keyFingerprint(publicKey: KeyObject): string {
  return `SHA256:${createHash('sha256').update(rawPublicKey(publicKey)).digest('base64').replace(/=+$/, '')}`;
}

/**
 * The bytes signed. A JSON array is unambiguous whatever the fields hold, so
 * no choice of host or spec can make two different jobs sign the same bytes.
 */
export function signedPayload(fields: SignedJobFields, expiresAt: number): Buffer {
  return Buffer.from(
    JSON.stringify([
      'fleet-job/4',
      fields.deployment,
      fields.prefix,
      fields.jobId,
      fields.location,
      fields.rank,
      fields.count,
      expiresAt,
      fields.spec,
    ]),
  );
}

/** Signs one leaf job; returns the text stored in its `signature` field. */
export function signJob(key: SigningKey, fields: SignedJobFields, expiresAt: number): string {
  const signature: JobSignature = {
    keyId: key.id,
    expiresAt,
    deployment: fields.deployment,
    signature: sign(null, signedPayload(fields, expiresAt), key.privateKey).toString('base64'),
  };
  return JSON.stringify(signature);
}

/**
 * Decides whether an agent may run a job: signed, by a trusted key, over
 * exactly these fields, and not expired. The reasons are what `get` shows.
 * The check itself runs on libuv's thread pool, off the agent's event loop.
 */
export async function verifyJob(
  stored: string | null,
  fields: SignedJobFields,
  trusted: (keyId: string) => PublicSigningKey | undefined,
  now: number,
  /** Where to add a key, said when one is not trusted. */
  trustHint = '',
  options: VerifyJobOptions = {},
): Promise<SignatureVerdict> {
  if (stored === null || stored === '') {
    return { ok: false, reason: 'refused: the job is not signed (it was not made by fleet; was it written straight into Redis?)' };
  }
  const signature = parseSignature(stored);
  if (signature === null)
    return { ok: false, reason: 'refused: the job’s signature is malformed (or made by a fleet older than this agent)' };
  const key = trusted(signature.keyId);
  if (key === undefined) {
    return {
      ok: false,
      reason: `refused: signed by key ${signature.keyId}, which this agent does not trust${trustHint === '' ? '' : ` (${trustHint})`}`,
    };
  }
  // Checked over the deployment the signature names, so that a valid job of
  // another deployment is refused as such, and the name in that refusal is one
  // the key really signed.
  const payload = signedPayload({ ...fields, deployment: signature.deployment }, signature.expiresAt);
  const valid = await new Promise<boolean>((resolve, reject) =>
    verify(null, payload, key.key, Buffer.from(signature.signature, 'base64'), (error, ok) => (error ? reject(error) : resolve(ok))),
  );
  if (!valid) {
    return {
      ok: false,
      reason: 'refused: bad signature (the job was changed after it was signed, or its signature belongs to another job or host)',
    };
  }
  if (signature.deployment !== fields.deployment) {
    return {
      ok: false,
      reason: `refused: signed for deployment ${signature.deployment}, this agent serves deployment ${fields.deployment}`,
    };
  }
  if (!(options.ignoreExpiry ?? false) && now > signature.expiresAt) {
    return {
      ok: false,
      reason: `refused: its signature expired at ${new Date(signature.expiresAt).toISOString()} before it started (FLEET_SIGNATURE_TTL)`,
    };
  }
  return { ok: true, keyId: key.id, expiresAt: signature.expiresAt, digest: createHash('sha256').update(payload).digest('hex') };
}

/** The key a stored signature names, or null when there is none to read. */
export function signatureKeyId(stored: string | null): string | null {
  return stored === null ? null : (parseSignature(stored)?.keyId ?? null);
}

/** The deployment a stored signature names, or null when there is none to read. */
export function signatureDeployment(stored: string | null): string | null {
  return stored === null ? null : (parseSignature(stored)?.deployment ?? null);
}

function parseSignature(stored: string): JobSignature | null {
  try {
    const value = JSON.parse(stored) as Partial<JobSignature>;
    if (typeof value.keyId !== 'string' || typeof value.signature !== 'string') return null;
    if (typeof value.expiresAt !== 'number' || !Number.isFinite(value.expiresAt)) return null;
    // Signatures made before deployments (fleet-job/2) have none: malformed to this agent.
    if (typeof value.deployment !== 'string') return null;
    return value as JobSignature;
  } catch {
    return null;
  }
}

function rawPublicKey(key: KeyObject): Buffer {
  const x = key.export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new Error('not an Ed25519 public key');
  return Buffer.from(x, 'base64url');
}

/** Signs the leaves of one job as it is created; every leaf shares the expiry and the deployment. */
export interface JobSigner {
  expiresAt: number;
  deployment: string;
  sign(fields: Omit<SignedJobFields, 'deployment'>): string;
}

export function jobSigner(key: SigningKey, expiresAt: number, deployment: string): JobSigner {
  return { expiresAt, deployment, sign: (fields) => signJob(key, { ...fields, deployment }, expiresAt) };
}
