import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis-server.js';
import { addressOf, DASH_TEST_USER, fleetLoginLines, startSshFleet, type SshFleet } from './ssh-fleet.js';

const run = promisify(execFile);

/** A network namespace of the test's own, with its loopback up: 127.0.0.0/8 inside it is not the host's. */
export interface NetworkNamespace {
  name: string;
  delete(): Promise<void>;
}

export async function createNetworkNamespace(): Promise<NetworkNamespace> {
  const name = `fleet-jump-${randomBytes(4).toString('hex')}`;
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  return {
    name,
    async delete() {
      await run('ip', ['netns', 'delete', name]);
    },
  };
}

/** One port of a namespace, reachable from this one on 127.0.0.1: the only way in. */
export interface NamespacePort {
  port: number;
  /** Connections made through it so far. */
  readonly connections: number;
  close(): Promise<void>;
}

// Runs inside the namespace for each connection: its standard input and output become the TCP stream.
const PIPE_TO_TCP = `
const socket = require('net').connect(Number(process.argv[2]), process.argv[1]);
process.stdin.pipe(socket);
socket.pipe(process.stdout);
socket.on('error', () => process.exit(1));
socket.on('close', () => process.exit(0));
`;

/**
 * Listens on 127.0.0.1 here and carries each connection to `address:port`
 * inside the namespace, through a process started there for it (what
 * `socat TCP-LISTEN:... EXEC:"ip netns exec NS socat STDIO TCP:..."` does).
 * Every such process is this test's, ended by its pid.
 */
export async function exposeNamespacePort(netns: string, address: string, port: number): Promise<NamespacePort> {
  const children = new Set<ChildProcess>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', PIPE_TO_TCP, address, String(port)], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    children.add(child);
    socket.pipe(child.stdin);
    child.stdout.pipe(socket);
    child.stdin.on('error', () => {});
    socket.on('error', () => {});
    socket.on('close', () => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
    });
    child.on('exit', () => {
      children.delete(child);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const child of children) {
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      }
      await closed;
    },
  };
}

/** An ssh_config block for an alias. */
function hostBlock(alias: string, hostName: string, lines: string[]): string[] {
  return [`Host ${alias}`, `  HostName ${hostName}`, ...lines.map((line) => `  ${line}`)];
}

/** An address inside the namespace where nothing listens. */
export const NOTHING = '127.0.9.9';

/** Hosts of the jump fleet, by role; every one of them inside the namespace. */
export const JUMP_ROLES = {
  /** Forwards anywhere; reached from here as `bastion1`. */
  bastion: 0,
  /** Forwards only to `inner` (sshd PermitOpen); reached from here as `gate`. */
  gate: 1,
  /** Reached only through `gate`; forwards anywhere. */
  inner: 2,
  /** The first target; the others follow it. */
  firstTarget: 3,
} as const;

/**
 * Targets in a network namespace of their own, reachable from this one only
 * through jump hosts: `bastion1` (one hop), `gate,inner` (two hops, gate
 * being allowed to forward nowhere else), and an ssh_config that says so, for
 * fleet and for the OpenSSH client alike. Entries of the targets are their
 * addresses, which `Host 127.0.1.*` sends through bastion1.
 */
export interface JumpFleet {
  netns: NetworkNamespace;
  fleet: SshFleet;
  sshConfig: string;
  /** The targets' entries (addresses inside the namespace). */
  targets: string[];
  bastionPort: NamespacePort;
  gatePort: NamespacePort;
  /** Connections bastion1's sshd has accepted so far (its LogLevel is VERBOSE). */
  bastionLogins(): number;
  /** Runs a command with the OpenSSH client and this ssh_config: the oracle. */
  ssh(alias: string, command: string): Promise<{ stdout: string; stderr: string; code: number }>;
  close(): Promise<void>;
}

export async function startJumpFleet(targetCount: number): Promise<JumpFleet> {
  const netns = await createNetworkNamespace();
  let fleet: SshFleet | undefined;
  const ports: NamespacePort[] = [];
  try {
    const port = await freePort();
    fleet = await startSshFleet(JUMP_ROLES.firstTarget + targetCount, {
      netns: netns.name,
      hostSshdOptions: (index) =>
        index === JUMP_ROLES.bastion
          ? ['LogLevel=VERBOSE']
          : index === JUMP_ROLES.gate
            ? [`PermitOpen=${addressOf(JUMP_ROLES.inner)}:${port}`]
            : [],
      port,
    });
    const bastionPort = await exposeNamespacePort(netns.name, addressOf(JUMP_ROLES.bastion), fleet.port);
    ports.push(bastionPort);
    const gatePort = await exposeNamespacePort(netns.name, addressOf(JUMP_ROLES.gate), fleet.port);
    ports.push(gatePort);
    const deadPort = await freePort();
    const hosts = fleet.hosts;
    const keyOf = (index: number) => hosts[index]?.publicKey as string;
    const target = (n: number) => addressOf(JUMP_ROLES.firstTarget + n);

    await appendFile(
      fleet.knownHosts,
      `[127.0.0.1]:${bastionPort.port} ${keyOf(JUMP_ROLES.bastion)}\n[127.0.0.1]:${gatePort.port} ${keyOf(JUMP_ROLES.gate)}\n`,
    );
    // Every key here is another host's: what a changed host key looks like.
    const wrongKnownHosts = join(fleet.dir, 'known_hosts.changed');
    await writeFile(
      wrongKnownHosts,
      `[127.0.0.1]:${bastionPort.port} ${keyOf(JUMP_ROLES.inner)}\n[${target(0)}]:${fleet.port} ${keyOf(JUMP_ROLES.inner)}\n`,
    );
    const sshConfig = join(fleet.dir, 'ssh_config.jump');
    await writeFile(
      sshConfig,
      [
        // The jump hosts, by alias.
        ...hostBlock('bastion1', '127.0.0.1', [`Port ${bastionPort.port}`]),
        // bastion1 again, under other names, each with one thing of its own.
        ...hostBlock('changed-bastion', '127.0.0.1', [`Port ${bastionPort.port}`, `UserKnownHostsFile ${wrongKnownHosts}`]),
        ...hostBlock('gate', '127.0.0.1', [`Port ${gatePort.port}`]),
        ...hostBlock('inner', addressOf(JUMP_ROLES.inner), []),
        ...hostBlock('dead-bastion', '127.0.0.1', [`Port ${deadPort}`]),
        // Another user: a connection of its own, not bastion1's pooled one.
        ...hostBlock('slow-bastion', '127.0.0.1', [`Port ${bastionPort.port}`, `User ${DASH_TEST_USER}`, 'ConnectTimeout 2']),
        // Hosts behind the jump hosts, by alias.
        ...hostBlock('behind-dead', target(0), ['ProxyJump dead-bastion']),
        ...hostBlock('behind-slow', target(1), ['ProxyJump slow-bastion']),
        ...hostBlock('behind-nothing', NOTHING, ['ProxyJump bastion1']),
        ...hostBlock('loop-a', NOTHING, ['ProxyJump loop-b']),
        ...hostBlock('loop-b', addressOf(JUMP_ROLES.inner), ['ProxyJump loop-a']),
        ...hostBlock('behind-changed', target(0), ['ProxyJump changed-bastion']),
        ...hostBlock('changed-behind-bastion', target(0), [`UserKnownHostsFile ${wrongKnownHosts}`, 'ProxyJump bastion1']),
        ...hostBlock('deep0', target(0), ['ProxyJump gate,inner']),
        ...hostBlock('deep1', target(1), ['ProxyJump gate,inner']),
        ...hostBlock('gated', target(0), ['ProxyJump gate']),
        ...hostBlock('by-command', target(0), [`ProxyCommand ssh -F ${sshConfig} -W %h:%p bastion1`]),
        ...hostBlock('failing-command', target(0), [`ProxyCommand sh -c 'echo no way through >&2; exit 3'`]),
        'Host 127.0.1.*',
        '  ProxyJump bastion1',
        'Host *',
        ...fleetLoginLines(fleet),
        '  BatchMode yes',
        // Long enough for plain ssh's ten handshakes at once through two hops on a loaded 2-core machine.
        '  ConnectTimeout 30',
        '',
      ].join('\n'),
    );
    const started = fleet;
    return {
      netns,
      fleet: started,
      sshConfig,
      targets: Array.from({ length: targetCount }, (_, n) => target(n)),
      bastionPort,
      gatePort,
      bastionLogins: () => (started.hosts[JUMP_ROLES.bastion]?.log.match(/Accepted publickey for /g) ?? []).length,
      async ssh(alias, command) {
        try {
          const { stdout, stderr } = await run('ssh', ['-F', sshConfig, alias, command]);
          return { stdout, stderr, code: 0 };
        } catch (error) {
          const failed = error as { stdout?: string; stderr?: string; code?: number };
          return { stdout: failed.stdout ?? '', stderr: failed.stderr ?? '', code: typeof failed.code === 'number' ? failed.code : 255 };
        }
      },
      async close() {
        await Promise.all(ports.map((exposed) => exposed.close()));
        await started.close();
        await netns.delete();
      },
    };
  } catch (error) {
    await Promise.all(ports.map((exposed) => exposed.close()));
    await fleet?.close();
    await netns.delete();
    throw error;
  }
}
