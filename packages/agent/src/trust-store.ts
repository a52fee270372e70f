import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import {
  FileReadError,
  DEFAULTS,
  parseTrustedKeys,
  signatureKeyId,
  verifyJob,
  type PublicSigningKey,
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
 * The keys an agent runs jobs from. A job signed by a key it does not know
 * makes it read its files again (at most once per
 * `DEFAULTS.trustReloadIntervalMs`, however many unknown keys arrive; the job waits for
 * the next read rather than being refused early), so a key added to the
 * trusted-keys file, or this user's key made after the agent started, counts
 * without a restart. Each check also looks at both files (a stat each): one
 * that changed since the last read is read again first, so a key removed from
 * the trusted-keys file is refused from the next job on, without a restart.
 */
export class TrustStore {
  private keys = new Map<string, PublicSigningKey>();
  private loadedAt = 0;
  /** The two files' stamps when last read. */
  private loadedStamps = '';
  private reloading: Promise<void> | null = null;

  private constructor(private readonly options: TrustStoreOptions) {}

  /** Reads the keys; a trusted-keys file that holds something other than keys is refused. */
  static async open(options: TrustStoreOptions): Promise<TrustStore> {
    const store = new TrustStore(options);
    await store.reload();
    return store;
  }

  get trustedKeyIds(): string[] {
    return [...this.keys.keys()];
  }

  async verify(stored: string | null, fields: SignedJobFields): Promise<SignatureVerdict> {
    if ((await this.stamps()) !== this.loadedStamps) await this.reloadNow();
    const keyId = signatureKeyId(stored);
    if (keyId !== null && !this.keys.has(keyId)) await this.reloadSoon();
    return verifyJob(
      stored,
      fields,
      (id) => this.keys.get(id),
      Date.now(),
      `add the public key that 'fleet key' prints where the job was made to ${this.options.trustedKeysPath}`,
    );
  }

  /** One read shared by every job that asks meanwhile; a failed read keeps the keys it had. */
  private reloadSoon(): Promise<void> {
    this.reloading ??= (async () => {
      await delay(Math.max(0, this.loadedAt + DEFAULTS.trustReloadIntervalMs - Date.now()));
      await this.reload().catch((error: unknown) => this.options.log?.(`trusted keys not read again: ${(error as Error).message}`));
    })().finally(() => {
      this.reloading = null;
    });
    return this.reloading;
  }

  /** A read now (one shared by the jobs that ask meanwhile); a failed read keeps the keys it had, and says so. */
  private reloadNow(): Promise<void> {
    this.reloading ??= this.reload()
      .catch((error: unknown) => this.options.log?.(`trusted keys not read again: ${(error as Error).message}`))
      .finally(() => {
        this.reloading = null;
      });
    return this.reloading;
  }

  private async stamps(): Promise<string> {
    return `${await fileStamp(this.options.signingKeyPath)} ${await fileStamp(this.options.trustedKeysPath)}`;
  }

  private async reload(): Promise<void> {
    this.loadedAt = Date.now();
    // Taken before the read: an edit during it is read again next time.
    this.loadedStamps = await this.stamps();
    const keys = new Map<string, PublicSigningKey>();
    const own = await readSigningKey(this.options.signingKeyPath);
    if (own !== null) keys.set(own.id, { id: own.id, key: own.publicKey, comment: 'this user' });
    for (const key of parseTrustedKeys(await readOptional(this.options.trustedKeysPath), this.options.trustedKeysPath)) {
      keys.set(key.id, key);
    }
    this.keys = keys;
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
