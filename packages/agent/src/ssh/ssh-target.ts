import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULTS,
  parseSshConfig,
  SshConnectError,
  resolveSshOptions,
  type HostEntry,
  type SshConfigBlock,
  type SshOptions,
} from '@fleet/core';
// ssh2 is CommonJS: its named exports are reached through the default one.
import ssh2, { type AuthMethod } from 'ssh2';
import { ChangedFileCache } from '../changed-file-cache.js';
import { resolveRoute, routeKey, type SshRoute } from './ssh-route.js';

/** Everything needed to open an SSH connection to one host entry. */
export interface SshTarget {
  /** Pool key: one set of connections per (user, address, port). */
  key: string;
  options: SshOptions;
  auth: AuthMethod[];
  connectTimeoutMs: number;
  /** How the host is reached when not directly (ProxyCommand, ProxyJump); undefined: directly. */
  route?: SshRoute;
}

const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

// Read once per change, not once per job: a fleet's ssh_config can hold a block per host,
// and parsing it for each of a thousand children costs seconds.
const sshConfigs = new ChangedFileCache((text) => parseSshConfig(text?.toString('utf8') ?? ''));
// An encrypted key cannot be used without its passphrase (ssh-agent covers that case): null, like a missing one.
const identities = new ChangedFileCache((key) => (key === null || ssh2.utils.parseKey(key) instanceof Error ? null : key));
// Options resolved per host entry, for as long as the parsed config they came from is current.
const resolved = new WeakMap<readonly SshConfigBlock[], Map<string, SshOptions>>();

/**
 * Resolves a host entry the way `ssh` would for the agent's user: their
 * ssh_config (or FLEET_SSH_CONFIG), ssh-agent through SSH_AUTH_SOCK, and the
 * identity files the config names or the default ones. Keys are read here, in
 * the agent; nothing of them ever reaches Redis.
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
  const home = homedir();
  const configPath = env.FLEET_SSH_CONFIG || join(home, '.ssh', 'config');
  const config = await sshConfigs.get(configPath);
  const byEntry = resolved.get(config) ?? new Map<string, SshOptions>();
  resolved.set(config, byEntry);
  let options = byEntry.get(entry.raw);
  if (options === undefined) {
    options = resolveSshOptions(config, entry.host, entry, {
      localUser: userInfo().username,
      homeDir: home,
      authSocket: env.SSH_AUTH_SOCK || null,
    });
    byEntry.set(entry.raw, options);
  }
  const identityFiles =
    options.identityFiles.length > 0 ? options.identityFiles : DEFAULT_IDENTITIES.map((name) => join(home, '.ssh', name));
  const auth: AuthMethod[] = [];
  if (options.identityAgent !== null) {
    auth.push({ type: 'agent', username: options.user, agent: options.identityAgent } as AuthMethod);
  }
  for (const file of identityFiles) {
    const key = await identities.get(file);
    if (key === null) continue;
    auth.push({ type: 'publickey', username: options.user, key } as AuthMethod);
  }
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
  };
}
