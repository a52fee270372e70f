import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { useLocalAttacker } from './support/local-user.js';
import { isAlive, until } from './support/poll.js';
import { freePort } from './support/redis-server.js';
import { useFleet } from './support/use-fleet.js';

const run = promisify(execFile);
/** Runs a command with `input` on its standard input; rejects on a non-zero exit. */
function runWithInput(file: string, args: string[], input: string): Promise<{ stdout: string; stderr: string }> {
  const running = run(file, args);
  running.child.stdin?.end(input);
  return running;
}
const DEMO = fileURLToPath(new URL('../scripts/demo-fleet.sh', import.meta.url));
const fleet = useFleet();

/**
 * The demo runs as root here, in a shared temporary directory (TMPDIR, sticky
 * and world-writable as /tmp is) where another local user has made
 * `fleet-demo`, the path the demo once used, full of links to a file of
 * root's (standing for /root/.ssh/authorized_keys).
 */
const attacker = useLocalAttacker('fleet-demo-tmp-');
let shared: string;
let planted: string;
let target: string;
beforeAll(async () => {
  ({ dir: shared, target } = attacker.tmp);
  planted = join(shared, 'fleet-demo');
  await attacker.user.run('mkdir', ['-m', '777', planted]);
  for (const name of ['authorized_keys', 'client_key.pub', 'known_hosts', 'computers.txt', 'ssh_config', 'sshd_1.pid']) {
    await attacker.user.run('ln', ['-s', target, join(planted, name)]);
  }
});

describe('scripts/demo-fleet.sh', () => {
  it('starts sshd hosts in a private directory of its own, and the commands it prints fan out over them as written', async () => {
    const env = { ...fleet.env.env, TMPDIR: shared, FLEET_DEMO_PORT: String(await freePort()) };
    let demoPrefix: string | undefined;
    let dir: string | undefined;
    let session: ChildProcess | undefined;
    let remotePid = 0;
    try {
      const { stdout } = await run(DEMO, ['3'], { env });
      const exported = /export FLEET_SSH_CONFIG=(\S+) FLEET_PREFIX='(\S+)'/.exec(stdout);
      const invoke = /npx fleet (invoke .+)/.exec(stdout)?.[1]?.split(' ');
      expect(exported && invoke).toBeTruthy();
      demoPrefix = exported?.[2];
      dir = exported?.[1]?.replace(/\/ssh_config$/, '');
      expect(dir).toMatch(new RegExp(`^${shared}/fleet-demo\\.\\w{10}$`));
      // Recorded in the user's state directory, for `stop` and the next start.
      expect(await readFile(join(fleet.env.home, 'state', 'demo-dir'), 'utf8')).toBe(`${dir}\n`);
      const result = await fleet.env.fleet(invoke as string[], {
        env: { FLEET_SSH_CONFIG: exported?.[1], FLEET_PREFIX: exported?.[2] },
      });
      expect(result.stderr).toBe('3 of 3 hosts completed\n');
      expect(
        result.stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => line.split(':')[0])
          .sort(),
      ).toEqual(['127.0.1.1', '127.0.1.2', '127.0.1.3']);
      expect(await readFile(target, 'utf8')).toBe(attacker.tmp.original);
      // The hosts take SFTP, as `fleet deploy` needs.
      const sftp = await runWithInput('sftp', ['-F', exported?.[1] as string, '-b', '-', '127.0.1.1'], 'pwd\n');
      expect(sftp.stdout).toMatch(/Remote working directory: \//);
      // An established session, and the command it runs, end with `stop`.
      session = spawn('ssh', ['-F', exported?.[1] as string, '127.0.1.1', 'echo $$; exec sleep 301'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const sessionOutput = session.stdout;
      remotePid = await new Promise<number>((resolve) =>
        sessionOutput?.once('data', (data: Buffer) => resolve(Number(String(data).trim()))),
      );
      expect(isAlive(remotePid)).toBe(true);
    } finally {
      // The demo's agent lives under the demo's prefix, where the leak check does not look.
      const agents = await fleet.env.fleet(['agents', '--json'], { env: { FLEET_PREFIX: demoPrefix } });
      for (const agent of JSON.parse(agents.stdout || '[]') as { pid: number }[]) process.kill(agent.pid, 'SIGKILL');
      const pids = await Promise.all([1, 2, 3].map((i) => readFile(join(dir ?? shared, `sshd_${i}.pid`), 'utf8').then(Number, () => 0)));
      // `stop` finds the directory through the record alone.
      expect((await run(DEMO, ['stop'], { env })).stdout).toBe(`demo fleet stopped (${dir})\n`);
      await until(() => pids.every((pid) => pid === 0 || !isAlive(pid)), { what: 'demo sshd to stop' });
      await until(() => session === undefined || session.exitCode !== null || session.signalCode !== null, {
        what: 'the ssh session to end',
      });
      await until(() => remotePid === 0 || !isAlive(remotePid), { what: 'the command the session ran to end' });
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a FLEET_DEMO_DIR that another user owns, that others may write, or that holds links, and writes nothing through it', async () => {
    const env = { ...fleet.env.env, FLEET_DEMO_PORT: String(await freePort()) };
    const refused = (dir: string) =>
      run(DEMO, ['1'], { env: { ...env, FLEET_DEMO_DIR: dir } }).then(
        () => expect.fail(`the demo started in ${dir}`),
        (error: { code: number; stderr: string }) => error,
      );
    const theirs = await refused(planted);
    expect(theirs.code).toBe(2);
    expect(theirs.stderr).toContain(`the demo directory ${planted} is owned by ${attacker.user.name}, not by you`);

    const open = await mkdtemp(join(shared, 'own-'));
    await chmod(open, 0o777);
    expect((await refused(open)).stderr).toContain(`is writable by others; run: chmod go-w '${open}'`);
    await chmod(open, 0o700);
    await run('ln', ['-s', target, join(open, 'authorized_keys')]);
    expect((await refused(open)).stderr).toContain('holds symbolic links');

    expect(await readFile(target, 'utf8')).toBe(attacker.tmp.original);
  });
});
