import { randomBytes } from 'node:crypto';
import { link, mkdir, open, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { userInfo, hostname } from 'node:os';
import {
  formatPrivateKey,
  formatPublicKey,
  generateSigningKey,
  parsePrivateKey,
  privateKeyProblem,
  FileReadError,
  UnsafePathError,
  UsageError,
  type SigningKey,
} from '@fleet/core';

/**
 * Reads this user's signing key, or null when there is none yet. A file that
 * is there but is not a key is an error: fleet never replaces a key silently,
 * since every agent that trusts it would then refuse this user's jobs. Nor
 * does it use a key another user owns or could read or write (see
 * privateKeyProblem), judged on the file it opened, not on its name.
 */
export async function readSigningKey(path: string): Promise<SigningKey | null> {
  let pem: string;
  try {
    const file = await open(path, 'r');
    try {
      const problem = privateKeyProblem(path, await file.stat(), process.getuid?.() ?? 0);
      if (problem !== null) throw new UnsafePathError(path, `(the signing key) ${problem.problem}`, problem.hint);
      pem = await file.readFile('utf8');
    } finally {
      await file.close();
    }
  } catch (error) {
    if (error instanceof UnsafePathError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new FileReadError('the signing key', path, error);
  }
  try {
    return parsePrivateKey(pem);
  } catch (error) {
    throw new UsageError(`${path} is not a fleet signing key: ${(error as Error).message}`, {
      hint: 'move it away and fleet makes a new key; agents must then be given the new public key (fleet key)',
      cause: error,
    });
  }
}

/**
 * This user's signing key, made on first use: an Ed25519 private key (mode
 * 600, in a directory only the user can enter) and its public line beside it
 * as `PATH.pub`. The key is written whole to a file of its own and then
 * linked into place, which fails if the key already exists: so processes
 * making it at once all end with the one key, and none ever reads half of it.
 */
export async function loadOrCreateSigningKey(path: string): Promise<SigningKey> {
  const existing = await readSigningKey(path);
  if (existing !== null) return existing;
  const key = generateSigningKey();
  const partial = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.partial`;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(partial, formatPrivateKey(key), { mode: 0o600, flag: 'wx' });
    await link(partial, path);
  } catch (error) {
    // Another fleet process made it first: use that one.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return (await readSigningKey(path)) as SigningKey;
    throw new UsageError(`cannot create the signing key ${path}: ${(error as Error).message}`, {
      hint: 'set FLEET_SIGNING_KEY to a file fleet may create',
      cause: error,
    });
  } finally {
    await unlink(partial).catch(() => {});
  }
  await writeFile(`${path}.pub`, `${formatPublicKey(key.publicKey, keyComment())}\n`, { mode: 0o644 }).catch(() => {});
  return key;
}

/** `user@host`, so that a trusted-keys file says whose each key is. */
export function keyComment(): string {
  return `${userInfo().username}@${hostname()}`;
}
