import { DEFAULTS, SshConnectError, type HostEntry, type SshConfigWarning, type SshOptions } from '@fleet/core';
// ssh2 is CommonJS: its named exports are reached through the default one.
import ssh2, { type AuthMethod } from 'ssh2';
import { ChangedFileCache } from '../changed-file-cache.js';
import { CERTIFICATES_UNSUPPORTED } from './agent-identities.js';
import { FilteringAgent } from './filtering-agent.js';
import { knownHostKeyTypes } from './host-key-check.js';
import { localSshContext, sshConfigFiles, SshConfigResolver } from './ssh-config-source.js';
import { resolveRoute, routeKey, type SshRoute } from './ssh-route.js';
import { keyTypeAccepted } from './ssh2-connect-config.js';

/** Everything needed to open an SSH connection to one host entry. */
export interface SshTarget {
  /** Pool key: one set of connections per (user, address, port). */
  key: string;
  options: SshOptions;
  auth: AuthMethod[];
  connectTimeoutMs: number;
  /** How the host is reached when not directly (ProxyCommand, ProxyJump); undefined: directly. */
  route?: SshRoute;
  /**
   * Identities ssh_config names that ssh2 cannot use (certificates), each
   * with why, added as a connection is made (`beforeConnect`, the agent's
   * list of keys, an agent that cannot be reached). Logged, and given in an
   * authentication failure.
   */
  notes?: string[];
  /**
   * Looks at what only a new connection needs, when one is made rather than
   * for every job: the key types known_hosts holds for the host (which ssh
   * prefers to negotiate, see `preferKnownKeyTypes`), and the certificates
   * ssh would offer (added to `notes`). Absent: nothing is known.
   */
  beforeConnect?: () => Promise<{ knownHostKeyTypes: string[] }>;
}

// An encrypted key cannot be used without its passphrase (ssh-agent covers that case): null, like a missing one.
const identities = new ChangedFileCache((key) => {
  const parsed = key === null ? null : ssh2.utils.parseKey(key);
  return parsed === null || parsed instanceof Error ? null : { key, type: parsed.type, publicBlob: parsed.getPublicSSH() };
});
// A key's .pub beside it: what IdentitiesOnly matches the agent's keys against when the key itself is encrypted.
const publicKeys = new ChangedFileCache((text) => {
  const parsed = text === null ? null : ssh2.utils.parseKey(text);
  return parsed === null || parsed instanceof Error ? null : parsed.getPublicSSH();
});
const exists = new ChangedFileCache((content) => content !== null);

let warningSink: (warning: SshConfigWarning) => void = () => {};
// One resolver for the process: files parsed once while unchanged, entries resolved once while their files are.
const resolver = new SshConfigResolver((warning) => warningSink(warning));

/**
 * Where lines of ssh_config that fleet skipped are reported (the agent's
 * log); set once when the agent starts.
 */
export function reportSshConfigWarnings(log: (line: string) => void): void {
  warningSink = (warning) => log(`ssh_config ${warning.file} line ${warning.line}: ${warning.message}`);
}

/**
 * Resolves a host entry the way `ssh` would for the agent's user: their
 * ssh_config (or FLEET_SSH_CONFIG, as `ssh -F`) then /etc/ssh/ssh_config,
 * ssh-agent through IdentityAgent or SSH_AUTH_SOCK, and the identity files
 * the config names or ssh's default ones. Keys are read here, in the agent;
 * nothing of them ever reaches Redis. Throws SshConfigError for a
 * configuration ssh would refuse.
 */
export async function resolveSshTarget(
  entry: HostEntry,
  connectTimeoutMs: number | null,
  env: NodeJS.ProcessEnv = process.env,
  /** For a jump host after the first: the hops before it, which replace its own route. */
  through: readonly string[] | null = null,
  /** The targets whose route is being resolved (`user@host:port`), to refuse a loop of jump hosts. */
  reaching: readonly string[] = [],
): Promise<SshTarget> {
  const { options, connectErrors } = await resolver.resolve(
    { host: entry.host, user: entry.user, port: entry.port },
    sshConfigFiles(env),
    localSshContext(env),
  );
  // ssh would fail here too, when it connects.
  if (connectErrors[0] !== undefined) throw connectErrors[0];
  const identityFiles = options.identityFiles;
  const accepted = options.algorithms.pubkeyAcceptedAlgorithms;
  const found = await Promise.all(identityFiles.map(async (file) => ({ file, identity: await identities.get(file) })));
  const fileKeys: AuthMethod[] = [];
  for (const { identity } of found) {
    if (identity === null || !keyTypeAccepted(identity.type, accepted)) continue;
    fileKeys.push({ type: 'publickey', username: options.user, key: identity.key } as AuthMethod);
  }
  const notes: string[] = [];
  const note = (text: string) => {
    if (!notes.includes(text)) notes.push(text);
  };
  const auth: AuthMethod[] = [];
  if (options.identityAgent !== null) {
    const identitiesOnly = options.identitiesOnly;
    const rules = async () => ({ only: identitiesOnly ? await publicBlobsOf(found) : null, pubkeyAcceptedAlgorithms: accepted });
    auth.push({ type: 'agent', username: options.user, agent: new FilteringAgent(options.identityAgent, rules, note) } as AuthMethod);
  }
  auth.push(...fileKeys);
  const resolvedOptions = options;
  const address = `${options.user}@${options.hostName}:${options.port}`;
  if (reaching.includes(address)) {
    throw new SshConnectError(`jump host loop: ${[...reaching, address].join(' -> ')}`, options.hostName, options.port, 'configuration');
  }
  const route = await resolveRoute(options, through, (hop, hopThrough) =>
    resolveSshTarget({ raw: hop.text, user: hop.user, host: hop.host, port: hop.port, local: false }, connectTimeoutMs, env, hopThrough, [
      ...reaching,
      address,
    ]),
  );
  return {
    key: address + routeKey(route),
    options,
    auth,
    connectTimeoutMs: connectTimeoutMs ?? options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    ...(route === undefined ? {} : { route }),
    notes,
    async beforeConnect() {
      const [certificates, knownHostKeyTypesFound] = await Promise.all([
        unusableCertificates(resolvedOptions, identityFiles),
        knownHostKeyTypes(resolvedOptions),
      ]);
      certificates.forEach(note);
      return { knownHostKeyTypes: knownHostKeyTypesFound };
    },
  };
}

/** The public keys of the identity files (from the key, else its `.pub`), base64: what IdentitiesOnly lets the agent offer. */
async function publicBlobsOf(found: readonly { file: string; identity: { publicBlob: Buffer } | null }[]): Promise<Set<string>> {
  const blobs = await Promise.all(found.map(async ({ file, identity }) => identity?.publicBlob ?? (await publicKeys.get(`${file}.pub`))));
  return new Set(blobs.filter((blob): blob is Buffer => blob !== null).map((blob) => blob.toString('base64')));
}

/**
 * The OpenSSH certificates ssh would offer (CertificateFile, and
 * `KEY-cert.pub` beside each identity file) that exist: ssh2 cannot use them,
 * so each is named with why.
 */
async function unusableCertificates(options: SshOptions, identityFiles: readonly string[]): Promise<string[]> {
  const candidates = [...options.certificateFiles, ...identityFiles.map((file) => `${file}-cert.pub`)];
  const files = [...new Set(candidates)];
  const present = await Promise.all(files.map((file) => exists.get(file)));
  return files.filter((_file, index) => present[index]).map((file) => `certificate ${file} ${CERTIFICATES_UNSUPPORTED}`);
}
