import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  combineHostKeyStatuses,
  formatKnownHostLine,
  hostKeyLookupName,
  KnownHostsIndex,
  keyTypeOfBlob,
  parseKnownHosts,
  type SshOptions,
} from '@fleet/core';
import { ChangedFileCache } from '../changed-file-cache.js';

/** Why a host key was refused, in words; null when it was accepted. */
export type HostKeyVerdict = null | string;

// Parsed once per change of the file, not once per connection.
const knownHostsFiles = new ChangedFileCache((text) => new KnownHostsIndex(parseKnownHosts(text?.toString('utf8') ?? '')));

/**
 * Checks a server's host key as OpenSSH does: against every UserKnownHostsFile
 * then every GlobalKnownHostsFile (hashed entries too), under HostKeyAlias
 * when one is set. A revoked or changed key is always refused; an unknown one
 * only with StrictHostKeyChecking yes or ask (there is no one to ask), and
 * with accept-new it is recorded in the first user file. A host known only
 * through a `@cert-authority` line is refused with the reason: ssh2 cannot
 * negotiate host certificates, so the certificate never arrives to be checked.
 */
export async function verifyHostKey(options: SshOptions, blob: Buffer): Promise<HostKeyVerdict> {
  const name = hostKeyLookupName(options);
  const key = blob.toString('base64');
  const files = [...options.userKnownHostsFiles, ...options.globalKnownHostsFiles];
  const statuses = await Promise.all(files.map(async (file) => (await knownHostsFiles.get(file)).check(name, key)));
  const { status, file } = combineHostKeyStatuses(statuses);
  const where = file === null ? '' : ` (${files[file]})`;
  if (status === 'match') return null;
  if (status === 'revoked') return `host key for ${name} is revoked${where}`;
  if (status === 'mismatch') return `host key mismatch for ${name}: it differs from known_hosts${where} (possible man-in-the-middle)`;
  if (options.strictHostKeyChecking === 'no') return null;
  if (status === 'cert-authority') {
    return (
      `host ${name} is known only through a @cert-authority line${where}, and fleet's SSH library (ssh2) cannot negotiate host ` +
      `certificates, so it cannot check the host's certificate: add the host's own key to known_hosts ` +
      `(ssh-keyscan -t ed25519 ${keyscanTarget(options)}, after checking its fingerprint)`
    );
  }
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

/** The key types known_hosts holds for the host (user files, then global ones), for ssh's host key algorithm preference. */
export async function knownHostKeyTypes(options: SshOptions): Promise<string[]> {
  const name = hostKeyLookupName(options);
  const files = [...options.userKnownHostsFiles, ...options.globalKnownHostsFiles];
  const types = await Promise.all(files.map(async (file) => (await knownHostsFiles.get(file)).keyTypes(name)));
  return [...new Set(types.flat())];
}

/** How to ask ssh-keyscan for the key, printed in the @cert-authority refusal. */
function keyscanTarget(options: SshOptions): string {
  return options.port === 22 ? options.hostName : `-p ${options.port} ${options.hostName}`;
}
