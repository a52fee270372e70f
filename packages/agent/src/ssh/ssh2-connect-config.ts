import { OPENSSH_DEFAULT_ALGORITHMS, SshConnectError, type SshAlgorithms, type SshOptions } from '@fleet/core';

/** ssh2's `algorithms` connect option: each list in order of preference. */
export interface Ssh2AlgorithmLists {
  kex: string[];
  cipher: string[];
  serverHostKey: string[];
  hmac: string[];
}

/** The parts of ssh2's ConnectConfig that ssh_config decides, besides address, user and authentication. */
export interface Ssh2ConnectParts {
  algorithms: Ssh2AlgorithmLists;
  keepaliveInterval: number;
  keepaliveCountMax: number;
}

/** Fleet's own keepalive, used unless ssh_config sets ServerAliveInterval. */
export interface FleetKeepalive {
  intervalMs: number;
  countMax: number;
}

/** Each ssh2 list and the ssh_config keyword that sets it. */
const LISTS: readonly { ssh2: keyof Ssh2AlgorithmLists; openssh: keyof SshAlgorithms; keyword: string }[] = [
  { ssh2: 'kex', openssh: 'kexAlgorithms', keyword: 'KexAlgorithms' },
  { ssh2: 'cipher', openssh: 'ciphers', keyword: 'Ciphers' },
  { ssh2: 'serverHostKey', openssh: 'hostKeyAlgorithms', keyword: 'HostKeyAlgorithms' },
  { ssh2: 'hmac', openssh: 'macs', keyword: 'MACs' },
];

/**
 * What to hand ssh2 for one host: the algorithm lists ssh_config resolved to
 * (OpenSSH's order of preference), less the names ssh2 does not implement,
 * and the keepalive. A list left empty refuses the connection before it is
 * dialled, naming the keyword and what ssh2 offers.
 */
export function ssh2ConnectParts(
  options: SshOptions,
  keepalive: FleetKeepalive,
  supported: Readonly<Ssh2AlgorithmLists>,
  knownKeyTypes: readonly string[] = [],
  ssh2Defaults: Readonly<Ssh2AlgorithmLists> | null = null,
): Ssh2ConnectParts {
  const algorithms = ssh2Algorithms(options, supported);
  if (ssh2Defaults !== null) {
    // A list ssh_config leaves at OpenSSH's default is ssh2's own default instead: ssh2 orders it for
    // this build (chacha20-poly1305 last when its native add-on is missing, as in fleet's bundles, where
    // its pure-JavaScript fallback is slow and lost handshakes made through a jump host's channel).
    for (const { ssh2, openssh } of LISTS) {
      if (sameList(options.algorithms[openssh], OPENSSH_DEFAULT_ALGORITHMS[openssh])) algorithms[ssh2] = [...ssh2Defaults[ssh2]];
    }
  }
  if (sameList(options.algorithms.hostKeyAlgorithms, OPENSSH_DEFAULT_ALGORITHMS.hostKeyAlgorithms)) {
    algorithms.serverHostKey = preferKnownKeyTypes(algorithms.serverHostKey, knownKeyTypes);
  }
  return { algorithms, ...ssh2Keepalive(options, keepalive) };
}

/**
 * OpenSSH's `order_hostkeyalgs`: while HostKeyAlgorithms is left at its
 * default, the algorithms of key types known_hosts already holds for the
 * host come first, so a host known by its ECDSA key is not asked for its
 * Ed25519 one (which no line holds: a "changed" key). Order is kept within
 * each part.
 */
export function preferKnownKeyTypes(algorithms: readonly string[], knownKeyTypes: readonly string[]): string[] {
  const known = (algorithm: string) => knownKeyTypes.includes(/^rsa-sha2-(256|512)$/.test(algorithm) ? 'ssh-rsa' : algorithm);
  return [...algorithms.filter(known), ...algorithms.filter((algorithm) => !known(algorithm))];
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, index) => name === b[index]);
}

/** ssh_config's algorithm lists intersected with ssh2's, in ssh_config's order. */
export function ssh2Algorithms(options: SshOptions, supported: Readonly<Ssh2AlgorithmLists>): Ssh2AlgorithmLists {
  const lists = {} as Ssh2AlgorithmLists;
  for (const { ssh2, openssh, keyword } of LISTS) {
    const offered = new Set(supported[ssh2]);
    const kept = options.algorithms[openssh].filter((name) => offered.has(name));
    if (kept.length === 0) {
      throw new SshConnectError(
        `${keyword} for ${options.host} leaves nothing fleet's SSH library (ssh2) implements ` +
          `(${keyword} ${options.algorithms[openssh].join(',') || '(empty)'}; ssh2 offers ${supported[ssh2].join(',')})`,
        options.hostName,
        options.port,
        'no-common-algorithm',
      );
    }
    lists[ssh2] = kept;
  }
  return lists;
}

/**
 * ServerAliveInterval and ServerAliveCountMax replace fleet's keepalive when
 * the interval is set. An interval of 0 (ssh's "off", and its default) keeps
 * fleet's own: the pool must notice a dead connection, or a job on a host
 * that vanished would wait forever.
 */
export function ssh2Keepalive(options: SshOptions, keepalive: FleetKeepalive): { keepaliveInterval: number; keepaliveCountMax: number } {
  if (options.serverAliveIntervalMs > 0) {
    return { keepaliveInterval: options.serverAliveIntervalMs, keepaliveCountMax: options.serverAliveCountMax };
  }
  return { keepaliveInterval: keepalive.intervalMs, keepaliveCountMax: keepalive.countMax };
}

/**
 * Whether PubkeyAcceptedAlgorithms lets a key of this type be offered: its
 * own name, or for RSA any of the signature algorithms ssh2 may sign it with
 * (it picks rsa-sha2-256, then rsa-sha2-512, then ssh-rsa, from what the
 * server accepts, whatever the list's order).
 */
export function keyTypeAccepted(keyType: string, accepted: readonly string[]): boolean {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-256', 'rsa-sha2-512', 'ssh-rsa'].some((name) => accepted.includes(name));
  return accepted.includes(keyType);
}
