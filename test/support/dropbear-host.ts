import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { until } from './poll.js';
import { freePort } from './redis-server.js';
import { accepts, signalTree } from './ssh-fleet.js';

const run = promisify(execFile);

/**
 * A real Dropbear sshd (Debian's dropbear-bin, the sshd of OpenWrt and many
 * embedded boards) on a loopback address, with its own host key. Dropbear has
 * no AuthorizedKeysFile: it reads `~/.ssh/authorized_keys` from the login
 * user's home in /etc/passwd. So it runs in a mount namespace of its own
 * (`unshare --mount`) where a temporary directory is bound over each login
 * user's home: the real homes are never touched, and what the commands write
 * in HOME stays in the test's directory.
 */
export interface DropbearHost {
  address: string;
  port: number;
  /** The host key's public line (`ssh-ed25519 AAAA...`). */
  publicKey: string;
  /** The known_hosts line for it. */
  knownHostsLine: string;
  /** The private key every login user accepts. */
  clientKey: string;
  /** The listening Dropbear's pid: the per-connection processes are its children. */
  pid: number;
  /** A hung host: Dropbear and every session under it stop answering (SIGSTOP). */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  close(): Promise<void>;
}

/** Starts Dropbear on `address` for these login users (they must exist, e.g. scripts/bootstrap.sh's test users). */
export async function startDropbear(address: string, users: string[]): Promise<DropbearHost> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-dropbear-'));
  await chmod(dir, 0o755);
  const clientKey = join(dir, 'client_key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fleet-test-client', '-f', clientKey]);
  const authorized = await readFile(`${clientKey}.pub`, 'utf8');
  const binds: string[] = [];
  for (const user of users) {
    const home = join(dir, `home-${user}`);
    await mkdir(join(home, '.ssh'), { recursive: true });
    await writeFile(join(home, '.ssh', 'authorized_keys'), authorized, { mode: 0o600 });
    await run('chown', ['-R', user, home]);
    await chmod(join(home, '.ssh'), 0o700);
    const passwdHome = (await run('getent', ['passwd', user])).stdout.split(':')[5] as string;
    binds.push(`mount --bind '${home}' '${passwdHome}'`);
  }
  const hostKey = join(dir, 'host_key');
  await run('dropbearkey', ['-t', 'ed25519', '-f', hostKey]);
  const publicKey = (await run('dropbearkey', ['-y', '-f', hostKey])).stdout
    .split('\n')
    .find((line) => line.startsWith('ssh-ed25519 '))
    ?.split(' ')
    .slice(0, 2)
    .join(' ');
  if (publicKey === undefined) throw new Error('dropbearkey printed no public key');
  const port = await freePort();
  // -F: foreground; -E: log to stderr; -s: no passwords. `exec` keeps the pid Dropbear's own.
  const dropbear = `${binds.join(' && ')} && exec /usr/sbin/dropbear -F -E -s -p ${address}:${port} -r '${hostKey}' -P '${join(dir, 'pid')}'`;
  const child: ChildProcess = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', dropbear], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => (log += text));
  await until(() => accepts(address, port), { what: `dropbear on ${address}:${port} (log: ${log})`, intervalMs: 20 });

  return {
    address,
    port,
    publicKey,
    knownHostsLine: `[${address}]:${port} ${publicKey}\n`,
    clientKey,
    pid: child.pid as number,
    freeze: () => signalTree(child, 'SIGSTOP'),
    thaw: () => signalTree(child, 'SIGCONT'),
    async close() {
      if (child.pid && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        await signalTree(child, 'SIGCONT');
        await signalTree(child, 'SIGKILL');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
