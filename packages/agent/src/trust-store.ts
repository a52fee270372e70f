import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import {
  FileReadError,
  DEFAULTS,
  parseTrustedKeys,
  SharedReread,
  signatureKeyId,
  verifyJob,
  type PublicSigningKey,
  type RereadOutcome,
  type SignatureVerdict,
  type SignedJobFields,
} from '@fleet/core';
import { fileStamp } from './changed-file-cache.js';
import { readSigningKey } from './signing-key-file.js';

export interface TrustStoreOptions {
  /** This user's own signing key: an agent always trusts the jobs its own user made. */
  signingKeyPath: string;
  /** Other public keys to trust, one a line (FLEET_TRUSTED_KEYS). */
  trustedKeysPath: string;
  log?: (line: string) => void;
}

/**
 * The keys an agent runs jobs from. Each check looks at both files (a stat
 * each) and reads them again when either changed since the last clean read,
 * so a key added or removed counts from the next job on, without a restart.
 * A file that cannot be read or holds something other than keys adds no key
 * (fail closed: a half-written trusted-keys file leaves only this user's own
 * key trusted), is logged, and is read again at the next check until it reads
 * cleanly. A job signed by a key it does not know also makes it read again
 * (at most once per `DEFAULTS.trustReloadIntervalMs`, however many unknown
 * keys arrive; the job waits for the read rather than being refused early),
 * for this user's key made just after the agent started.
 */
export class TrustStore {
  private keys = new Map<string, PublicSigningKey>();
  private loadedAt = 0;
  private opened = false;
  private problem: Error | null = null;
  private readonly files = new SharedReread(
    () => this.stamps(),
    () => this.read(),
    (ms) => delay(ms),
  );

  private constructor(private readonly options: TrustStoreOptions) {}

  /** Reads the keys; a trusted-keys file that holds something other than keys is refused. */
  static async open(options: TrustStoreOptions): Promise<TrustStore> {
    const store = new TrustStore(options);
    await store.files.refresh();
    if (store.problem !== null) throw store.problem;
    store.opened = true;
    return store;
  }

  get trustedKeyIds(): string[] {
    return [...this.keys.keys()];
  }

  async verify(stored: string | null, fields: SignedJobFields): Promise<SignatureVerdict> {
    await this.files.refresh();
    const keyId = signatureKeyId(stored);
    if (keyId !== null && !this.keys.has(keyId)) {
      await this.files.again(Math.max(0, this.loadedAt + DEFAULTS.trustReloadIntervalMs - Date.now()));
    }
    return verifyJob(
      stored,
      fields,
      (id) => this.keys.get(id),
      Date.now(),
      `add the public key that 'fleet key' prints where the job was made to ${this.options.trustedKeysPath}`,
    );
  }

  private async stamps(): Promise<string> {
    return `${await fileStamp(this.options.signingKeyPath)} ${await fileStamp(this.options.trustedKeysPath)}`;
  }

  /** Both files, each on its own: one that fails adds no key and is named in the log. */
  private async read(): Promise<RereadOutcome> {
    this.loadedAt = Date.now();
    // Taken before the read: an edit during it is read again at the next check.
    const version = await this.stamps();
    const keys = new Map<string, PublicSigningKey>();
    const problems: Error[] = [];
    try {
      const own = await readSigningKey(this.options.signingKeyPath);
      if (own !== null) keys.set(own.id, { id: own.id, key: own.publicKey, comment: 'this user' });
    } catch (error) {
      problems.push(error as Error);
    }
    try {
      for (const key of parseTrustedKeys(await readOptional(this.options.trustedKeysPath), this.options.trustedKeysPath)) {
        keys.set(key.id, key);
      }
    } catch (error) {
      problems.push(error as Error);
    }
    this.keys = keys;
    this.problem = problems[0] ?? null;
    if (this.opened) {
      for (const problem of problems) {
        this.options.log?.(
          `trusted keys: ${problem.message}; its keys are not trusted until it reads cleanly (now trusted: ${keys.size === 0 ? 'none' : [...keys.values()].map((key) => key.comment || key.id).join(', ')})`,
        );
      }
    }
    return { version, ok: problems.length === 0 };
  }
}

async function readOptional(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new FileReadError('the trusted keys', path, error);
  }
}
