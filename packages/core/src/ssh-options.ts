/** OpenSSH's StrictHostKeyChecking, with `off` read as `no`. */
export type StrictHostKeyChecking = 'yes' | 'no' | 'accept-new' | 'ask';

/**
 * Algorithm lists in OpenSSH's order of preference, after `+`, `-` and `^`
 * were applied to OpenSSH's defaults: what `ssh -G` prints. The agent offers
 * the ones ssh2 implements.
 */
export interface SshAlgorithms {
  ciphers: string[];
  kexAlgorithms: string[];
  hostKeyAlgorithms: string[];
  pubkeyAcceptedAlgorithms: string[];
  macs: string[];
}

/**
 * What fleet takes from ssh_config for one host entry, resolved as `ssh -G`
 * resolves it. Paths are expanded (`~` and `%` tokens); lists keep file order.
 */
export interface SshOptions {
  /** The entry's host as typed (ssh's original host, `%n`). */
  host: string;
  hostName: string;
  user: string;
  port: number;
  identityFiles: string[];
  identitiesOnly: boolean;
  /**
   * The ssh-agent socket: IdentityAgent's path, or SSH_AUTH_SOCK's value when
   * IdentityAgent is unset or `SSH_AUTH_SOCK`; null for `none` or no socket.
   */
  identityAgent: string | null;
  certificateFiles: string[];
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  strictHostKeyChecking: StrictHostKeyChecking;
  /** The name host keys are looked up under instead of the host name; null when unset. */
  hostKeyAlias: string | null;
  /** null when the configuration does not set one. */
  connectTimeoutMs: number | null;
  /** Connection attempts (one a second, as ssh makes them); 1 by default. */
  connectionAttempts: number;
  /** 0: off (ssh's default). */
  serverAliveIntervalMs: number;
  serverAliveCountMax: number;
  /** Jump hosts in order, each `[user@]host[:port]` or `ssh://...`; empty for none. */
  proxyJump: string[];
  /** The command with its tokens expanded; null for none. Wins over proxyJump when both are set, as in ssh (the first one obtained wins). */
  proxyCommand: string | null;
  algorithms: SshAlgorithms;
}
