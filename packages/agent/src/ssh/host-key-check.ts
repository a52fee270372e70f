import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  formatKnownHostLine,
  KnownHostsIndex,
  keyTypeOfBlob,
  knownHostName,
  parseKnownHosts,
  type HostKeyStatus,
  type SshOptions,
} from '@fleet/core';
import { ChangedFileCache } from '../changed-file-cache.js';

/** Why a host key was refused, in words; null when it was accepted. */
export type HostKeyVerdict = null | string;

// Parsed once per change of the file, not once per connection.
const knownHostsFiles = new ChangedFileCache((text) => new KnownHostsIndex(parseKnownHosts(text?.toString('utf8') ?? '')));

/**
 * Checks a server's host key as OpenSSH does: against every known_hosts file
 * the configuration names (hashed entries too). A changed key is always
 * refused; an unknown one only with StrictHostKeyChecking yes or ask (there
 * is no one to ask), and with accept-new it is recorded in the first file.
 */
export async function verifyHostKey(options: SshOptions, blob: Buffer): Promise<HostKeyVerdict> {
  const name = knownHostName(options.hostName, options.port);
  const key = blob.toString('base64');
  const status = await knownHostsStatus(options.userKnownHostsFiles, name, key);
  if (status === 'match') return null;
  if (status === 'revoked') return `host key for ${name} is revoked`;
  if (status === 'mismatch') return `host key mismatch for ${name}: it differs from known_hosts (possible man-in-the-middle)`;
  if (options.strictHostKeyChecking === 'no') return null;
  if (options.strictHostKeyChecking === 'accept-new') {
    const file = options.userKnownHostsFiles[0];
    if (file !== undefined) {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      await appendFile(file, formatKnownHostLine(name, keyTypeOfBlob(blob), key), { mode: 0o600 });
    }
    return null;
  }
  return `unknown host key for ${name}: not in known_hosts (add it, or set StrictHostKeyChecking accept-new)`;
}

/** The files' answer taken together, as if they were one file in the order given. */
async function knownHostsStatus(files: readonly string[], name: string, key: string): Promise<HostKeyStatus> {
  let known = false;
  for (const file of files) {
    const status = (await knownHostsFiles.get(file)).check(name, key);
    if (status === 'match' || status === 'revoked') return status;
    if (status === 'mismatch') known = true;
  }
  return known ? 'mismatch' : 'unknown';
}
