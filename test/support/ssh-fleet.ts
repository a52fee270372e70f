import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pMap from 'p-map';
import { until } from './poll.js';
import { freePort } from './redis-server.js';

const run = promisify(execFile);

/** The unprivileged user every test host logs in as (scripts/bootstrap.sh creates it); bash is its login shell. */
export const TEST_USER = 'fleet-test';
/** A second login user whose login shell is dash, for commands that must survive either shell. */
export const DASH_TEST_USER = 'fleet-test-dash';
/** A third login user whose login shell is zsh, which parses a command line unlike either. */
export const ZSH_TEST_USER = 'fleet-test-zsh';
/** A login user that may sudo to DASH_TEST_USER (only) with its password, which the --sudo test sets (scripts/bootstrap.sh). */
export const SUDO_TEST_USER = 'fleet-test-sudo';
/** A login user that may sudo to DASH_TEST_USER (only) without a password. */
export const NOPASSWD_TEST_USER = 'fleet-test-nopasswd';

export interface SshHost {
  index: number;
  /** Its own HOME for the login user (sshd SetEnv), as a separate machine would have. */
  home: string;
  /** Its own loopback address, e.g. 127.0.1.7. */
  address: string;
  /** The host key's public line (`ssh-ed25519 AAAA...`). */
  publicKey: string;
  /** Its ECDSA host key's public line, with `ecdsaHostKeys`; else null. */
  ecdsaPublicKey: string | null;
  process: ChildProcess | null;
  /** What its sshd wrote on standard error since it was last started (raise its LogLevel to see connections). */
  log: string;
}

/**
 * A fleet of real OpenSSH sshd processes, each on its own loopback address and
 * one shared port, with its own host key; a client key, a known_hosts file, an
 * ssh_config and a computers.txt for them. Hosts can be taken down, frozen
 * (SIGSTOP: a hung host) and brought back.
 */
export interface SshFleet {
  dir: string;
  port: number;
  hosts: SshHost[];
  clientKey: string;
  knownHosts: string;
  sshConfig: string;
  computersFile: string;
  /** Entries as they appear in computers.txt. */
  entries: string[];
  stopHost(index: number): Promise<void>;
  startHost(index: number): Promise<void>;
  freeze(index: number): Promise<void>;
  thaw(index: number): Promise<void>;
  /** The host certificate authority's public line (`ssh-ed25519 AAAA...`); null without `hostCertificates`. */
  hostCa: string | null;
  /** Runs a command on a host with the OpenSSH client, over a fresh connection. */
  ssh(index: number, command: string): Promise<{ stdout: string; code: number }>;
  close(): Promise<void>;
}

/** The ssh_config lines that log in to the fleet's hosts: its port, test user, client key and known_hosts, checked strictly. */
export function fleetLoginLines(fleet: Pick<SshFleet, 'port' | 'clientKey' | 'knownHosts'>): string[] {
  return [
    `  Port ${fleet.port}`,
    `  User ${TEST_USER}`,
    `  IdentityFile ${fleet.clientKey}`,
    `  UserKnownHostsFile ${fleet.knownHosts}`,
    '  StrictHostKeyChecking yes',
  ];
}

export function addressOf(index: number): string {
  // 127.0.1.1 ... 127.0.1.254, then 127.0.2.1 ...: never outside 127.0.0.0/8.
  return `127.0.${1 + Math.floor(index / 254)}.${1 + (index % 254)}`;
}

export interface SshFleetOptions {
  /** Extra sshd options for every host. */
  sshdOptions?: string[];
  /** Extra environment for one host's sessions, e.g. a PATH without Node.js. */
  hostEnv?: (index: number) => Record<string, string>;
  /** Extra sshd options for one host (they win over `sshdOptions`). */
  hostSshdOptions?: (index: number) => string[];
  /**
   * A network namespace (`ip netns`) to run every sshd in, so that the hosts
   * cannot be reached from this one except through what the test opens.
   */
  netns?: string;
  /** The port every sshd listens on. @defaultValue a free one */
  port?: number;
  /**
   * Sign every host key with a certificate authority of the fleet's own
   * (`hostCa`), each certificate naming the host's address, and have sshd
   * present it (HostCertificate), as a fleet set up with host certificates does.
   */
  hostCertificates?: boolean;
  /** Leave the SFTP subsystem out of sshd's configuration, as hardened hosts and the demo fleet do. */
  withoutSftp?: boolean;
  /** Give every host an ECDSA host key besides its Ed25519 one (`ecdsaPublicKey`), as most installations have. */
  ecdsaHostKeys?: boolean;
  /**
   * ConnectTimeout in the fleet's ssh_config. @defaultValue 5, short enough for
   * tests that wait for a frozen host to time out. A file that opens a hundred
   * handshakes at once on a loaded 2-core machine wants more.
   */
  connectTimeoutSeconds?: number;
}

export async function startSshFleet(count: number, options: SshFleetOptions = {}): Promise<SshFleet> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-ssh-'));
  await chmod(dir, 0o755); // sshd reads authorized_keys as the login user
  await mkdir('/run/sshd', { recursive: true });
  const port = options.port ?? (await freePort());
  const clientKey = join(dir, 'client_key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fleet-test-client', '-f', clientKey]);
  const authorizedKeys = join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, await readFile(`${clientKey}.pub`, 'utf8'), { mode: 0o644 });

  const baseConfig = join(dir, 'sshd_config');
  await writeFile(
    baseConfig,
    [
      `Port ${port}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin no',
      `AllowUsers ${TEST_USER} ${DASH_TEST_USER} ${ZSH_TEST_USER} ${SUDO_TEST_USER} ${NOPASSWD_TEST_USER}`,
      'LogLevel ERROR',
      ...(options.withoutSftp ? [] : ['Subsystem sftp internal-sftp']),
      '',
    ].join('\n'),
  );

  if (options.hostCertificates)
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fleet-test-host-ca', '-f', join(dir, 'host_ca')]);
  const hostCa = options.hostCertificates
    ? (await readFile(join(dir, 'host_ca.pub'), 'utf8')).trim().split(' ').slice(0, 2).join(' ')
    : null;
  const hosts: SshHost[] = await pMap(
    Array.from({ length: count }, (_, index) => index),
    async (index) => {
      const key = join(dir, `host_${index}`);
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', key]);
      const publicKey = (await readFile(`${key}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
      if (options.hostCertificates) {
        await run('ssh-keygen', ['-q', '-s', join(dir, 'host_ca'), '-h', '-I', `host_${index}`, '-n', addressOf(index), `${key}.pub`]);
      }
      let ecdsaPublicKey: string | null = null;
      if (options.ecdsaHostKeys) {
        await run('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-C', '', '-f', `${key}_ecdsa`]);
        ecdsaPublicKey = (await readFile(`${key}_ecdsa.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
      }
      const home = join(dir, `home-${index}`);
      await mkdir(home);
      await run('chown', [TEST_USER, home]);
      return { index, address: addressOf(index), home, publicKey, ecdsaPublicKey, process: null, log: '' };
    },
    { concurrency: 8 },
  );

  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, hosts.map((host) => `[${host.address}]:${port} ${host.publicKey}\n`).join(''));
  const sshConfig = join(dir, 'ssh_config');
  await writeFile(
    sshConfig,
    [
      'Host 127.0.*',
      ...fleetLoginLines({ port, clientKey, knownHosts }),
      `  ConnectTimeout ${options.connectTimeoutSeconds ?? 5}`,
      '',
    ].join('\n'),
  );
  const entries = hosts.map((host) => host.address);
  const computersFile = join(dir, 'computers.txt');
  await writeFile(computersFile, `# the test fleet\n${entries.join('\n')}\n`);

  const startHost = async (index: number) => {
    const host = hosts[index] as SshHost;
    // `ip netns exec` execs sshd, so the pid is sshd's own.
    const inNamespace = options.netns === undefined ? [] : ['ip', 'netns', 'exec', options.netns];
    const sshd = [...inNamespace, '/usr/sbin/sshd'];
    host.log = '';
    host.process = spawn(
      sshd[0] as string,
      [
        ...sshd.slice(1),
        '-D',
        '-e',
        '-f',
        baseConfig,
        '-o',
        `ListenAddress=${host.address}:${port}`,
        '-o',
        `HostKey=${join(dir, `host_${index}`)}`,
        ...(options.ecdsaHostKeys ? ['-o', `HostKey=${join(dir, `host_${index}_ecdsa`)}`] : []),
        ...(options.hostCertificates ? ['-o', `HostCertificate=${join(dir, `host_${index}-cert.pub`)}`] : []),
        '-o',
        `PidFile=${join(dir, `sshd_${index}.pid`)}`,
        // One SetEnv line: sshd keeps only the first of a repeated option.
        '-o',
        `SetEnv=${Object.entries({ HOME: host.home, ...options.hostEnv?.(index) })
          .map(([key, value]) => `${key}=${value}`)
          .join(' ')}`,
        // sshd keeps the first value of an option: the host's own come first.
        ...[...(options.hostSshdOptions?.(index) ?? []), ...(options.sshdOptions ?? [])].flatMap((option) => ['-o', option]),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    host.process.stderr?.setEncoding('utf8');
    host.process.stderr?.on('data', (text: string) => (host.log += text));
    await until(() => (options.netns === undefined ? accepts(host.address, port) : acceptsIn(options.netns, host.address, port)), {
      what: `sshd on ${host.address}:${port}`,
      intervalMs: 20,
    });
  };
  await pMap(hosts, (host) => startHost(host.index), { concurrency: 16 });

  // Host down: the listening sshd, every session it forked, and what those run.
  const stopHost = async (index: number) => {
    const child = hosts[index]?.process;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const tree = [child.pid, ...(await descendantsOf(child.pid))];
    for (const pid of tree) {
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exited;
  };

  return {
    dir,
    port,
    hosts,
    clientKey,
    knownHosts,
    sshConfig,
    computersFile,
    entries,
    hostCa,
    stopHost,
    startHost,
    // A hung host: the listening sshd and every session under it stop answering.
    freeze: (index) => signalTree(hosts[index]?.process, 'SIGSTOP'),
    thaw: (index) => signalTree(hosts[index]?.process, 'SIGCONT'),
    async ssh(index, command) {
      try {
        const { stdout } = await run('ssh', ['-F', sshConfig, '-o', 'BatchMode=yes', addressOf(index), command]);
        return { stdout, code: 0 };
      } catch (error) {
        const failed = error as { stdout?: string; code?: number };
        return { stdout: failed.stdout ?? '', code: typeof failed.code === 'number' ? failed.code : 255 };
      }
    },
    async close() {
      await pMap(hosts, (host) => stopHost(host.index), { concurrency: 32 });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Whether something listens on host:port, seen from here. */
export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether something listens on host:port inside a network namespace. */
async function acceptsIn(netns: string, host: string, port: number): Promise<boolean> {
  const probe = `require('net').connect(${port}, ${JSON.stringify(host)}).on('connect', () => process.exit(0)).on('error', () => process.exit(1))`;
  try {
    await run('ip', ['netns', 'exec', netns, process.execPath, '-e', probe]);
    return true;
  } catch {
    return false;
  }
}

/** Every process below `pid`, from /proc. */
export async function descendantsOf(pid: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const children = parents.get(queue.shift() as number) ?? [];
    found.push(...children);
    queue.push(...children);
  }
  return found;
}

/** Sends `signal` to a process and everything below it. */
export async function signalTree(child: ChildProcess | null | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  for (const pid of [child.pid, ...(await descendantsOf(child.pid))]) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
