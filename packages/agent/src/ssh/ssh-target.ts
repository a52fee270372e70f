import type { HostEntry, SshConfigWarning, SshOptions } from '@fleet/core';
import { DEFAULTS } from '@fleet/core';
// ssh2 is CommonJS: its named exports are reached through the default one.
import ssh2, { type AuthMethod } from 'ssh2';
import { ChangedFileCache } from '../changed-file-cache.js';
import { identitiesOnlyAgent } from './identities-only-agent.js';
import { localSshContext, sshConfigFiles, SshConfigResolver } from './ssh-config-source.js';

/** Everything needed to open an SSH connection to one host entry. */
export interface SshTarget {
  /** Pool key: one set of connections per (user, address, port). */
  key: string;
  options: SshOptions;
  auth: AuthMethod[];
  connectTimeoutMs: number;
}

// An encrypted key cannot be used without its passphrase (ssh-agent covers that case): null, like a missing one.
const identities = new ChangedFileCache((key) => (key === null || ssh2.utils.parseKey(key) instanceof Error ? null : key));

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
): Promise<SshTarget> {
  const { options, connectErrors } = await resolver.resolve(
    { host: entry.host, user: entry.user, port: entry.port },
    sshConfigFiles(env),
    localSshContext(env),
  );
  // ssh would fail here too, when it connects.
  if (connectErrors[0] !== undefined) throw connectErrors[0];
  const auth: AuthMethod[] = [];
  if (options.identityAgent !== null) {
    const agent = options.identitiesOnly
      ? await identitiesOnlyAgent(options.identityAgent, [...options.identityFiles, ...options.certificateFiles])
      : options.identityAgent;
    auth.push({ type: 'agent', username: options.user, agent } as AuthMethod);
  }
  for (const file of options.identityFiles) {
    const key = await identities.get(file);
    if (key === null) continue;
    auth.push({ type: 'publickey', username: options.user, key } as AuthMethod);
  }
  return {
    key: `${options.user}@${options.hostName}:${options.port}`,
    options,
    auth,
    connectTimeoutMs: connectTimeoutMs ?? options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
  };
}
