import { createHmac } from 'node:crypto';
import { matchHostname } from './ssh-patterns.js';

/** One line of a known_hosts file. */
export interface KnownHostLine {
  marker: '@revoked' | '@cert-authority' | null;
  /** Comma-separated patterns, or one hashed entry `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  /** The public key blob, base64, as the server sends it. */
  key: string;
}

/**
 * What known_hosts says of a host's key: `match` (a line holds it), `revoked`
 * (a `@revoked` line names it), `mismatch` (the host is known with other
 * keys), `cert-authority` (only a `@cert-authority` line names the host: it
 * would be trusted through a host certificate) or `unknown`.
 */
export type HostKeyStatus = 'match' | 'mismatch' | 'unknown' | 'revoked' | 'cert-authority';

export function parseKnownHosts(text: string): KnownHostLine[] {
  const lines: KnownHostLine[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = line.split(/\s+/);
    const marker = words[0] === '@revoked' || words[0] === '@cert-authority' ? (words.shift() as KnownHostLine['marker']) : null;
    const [hosts, keyType, key] = words;
    if (hosts && keyType && key) lines.push({ marker, hosts, keyType, key });
  }
  return lines;
}

/** How known_hosts names a host: `host` on port 22, else `[host]:port`. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/**
 * Checks a server's key against known_hosts lines, hashed ones included, as
 * OpenSSH does: a `@revoked` line for the key wins wherever it stands; then
 * a line holding the key is a `match`; a host known with other keys is a
 * `mismatch` (a changed key: always refused); a host named only by a
 * `@cert-authority` line is `cert-authority`; else `unknown`.
 */
export function checkHostKey(lines: readonly KnownHostLine[], name: string, key: string): HostKeyStatus {
  const named = lines.filter((line) => lineNamesHost(line.hosts, name));
  if (named.some((line) => line.marker === '@revoked' && line.key === key)) return 'revoked';
  const plain = named.filter((line) => line.marker === null);
  if (plain.some((line) => line.key === key)) return 'match';
  if (plain.length > 0) return 'mismatch';
  return named.some((line) => line.marker === '@cert-authority') ? 'cert-authority' : 'unknown';
}

/** Strongest first: how OpenSSH weighs the answers of several known_hosts files read as one. */
const STATUS_WEIGHT: readonly HostKeyStatus[] = ['revoked', 'match', 'mismatch', 'cert-authority', 'unknown'];

/**
 * The answer of several known_hosts files taken together (UserKnownHostsFile
 * then GlobalKnownHostsFile, as ssh loads them into one list): a revocation
 * anywhere wins, then a match anywhere, then a mismatch. `file` is the index
 * of the first file that gave the answer, null for `unknown`.
 */
export function combineHostKeyStatuses(statuses: readonly HostKeyStatus[]): { status: HostKeyStatus; file: number | null } {
  for (const status of STATUS_WEIGHT) {
    const file = statuses.indexOf(status);
    if (file !== -1) return { status, file: status === 'unknown' ? null : file };
  }
  return { status: 'unknown', file: null };
}

/** The name a host's key is looked up and recorded under: HostKeyAlias as written, else `host` or `[host]:port`. */
export function hostKeyLookupName(options: { hostName: string; port: number; hostKeyAlias: string | null }): string {
  return options.hostKeyAlias ?? knownHostName(options.hostName, options.port);
}

/**
 * known_hosts lines ready for many lookups: a line naming plain hosts is
 * found by name instead of being matched against every host checked, so a
 * thousand connections do not each scan a thousand-line file. Hashed lines
 * and lines with wildcards or negations are still tried one by one, as
 * OpenSSH tries them. Answers exactly as `checkHostKey` over all the lines.
 */
export class KnownHostsIndex {
  private readonly byName = new Map<string, number[]>();
  private readonly scanned: number[] = [];

  constructor(private readonly lines: readonly KnownHostLine[]) {
    lines.forEach((line, index) => {
      const patterns = line.hosts.split(',');
      if (line.hosts.startsWith('|') || patterns.some((pattern) => /[*?!]/.test(pattern))) {
        this.scanned.push(index);
        return;
      }
      for (const name of new Set(patterns.map((pattern) => pattern.toLowerCase()))) {
        const list = this.byName.get(name);
        if (list === undefined) this.byName.set(name, [index]);
        else list.push(index);
      }
    });
  }

  /** The key types of the plain lines that name the host (what ssh prefers to negotiate). */
  keyTypes(name: string): string[] {
    const named = this.byName.get(name.toLowerCase()) ?? [];
    const lines = [...named, ...this.scanned].map((index) => this.lines[index] as KnownHostLine);
    return lines.filter((line) => line.marker === null && lineNamesHost(line.hosts, name)).map((line) => line.keyType);
  }

  check(name: string, key: string): HostKeyStatus {
    const named = this.byName.get(name.toLowerCase()) ?? [];
    const candidates = [...named, ...this.scanned].map((index) => this.lines[index] as KnownHostLine);
    return checkHostKey(candidates, name, key);
  }
}

/** A line to append for a host accepted on first sight (StrictHostKeyChecking accept-new). */
export function formatKnownHostLine(name: string, keyType: string, key: string): string {
  return `${name} ${keyType} ${key}\n`;
}

/** The key type inside an SSH public key blob (its first string). */
export function keyTypeOfBlob(blob: Uint8Array): string {
  const buffer = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (buffer.length < 4) return 'unknown';
  const length = buffer.readUInt32BE(0);
  return buffer.subarray(4, 4 + length).toString('ascii');
}

function lineNamesHost(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return matchHostname(name, hosts);
}
