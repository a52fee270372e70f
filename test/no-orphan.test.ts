import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startForegroundAgent } from './support/agents.js';
import { startDropbear, type DropbearHost } from './support/dropbear-host.js';
import { processesWith } from './support/fleet-env.js';
import { isAlive, until } from './support/poll.js';
import { descendantsOf, TEST_USER } from './support/ssh-fleet.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';
import { untilNoProcessesWith } from './support/processes.js';

// Issue 17 point 1: a command whose agent dies (SIGKILL) ends on its host, its
// whole tree, locally and over SSH (OpenSSH and Dropbear), and its child fails
// `agent lost`, never re-run. The hosts are processes of this machine, so the
// test sees what is left on them by the marker each command carries.
const ssh = useSshFleet(1, { sshConfig: false });
const DROPBEAR_ADDRESS = '127.0.6.1';
let dropbear: DropbearHost | undefined;
let sshConfig = '';
/** Where the commands note each run; any login user can write there. */
let runsDir = '';

beforeAll(async () => {
  dropbear = await startDropbear(DROPBEAR_ADDRESS, [TEST_USER]);
  const fleet = ssh.fleet;
  const knownHosts = join(fleet.dir, 'orphan_known_hosts');
  await writeFile(knownHosts, `[${fleet.hosts[0]?.address}]:${fleet.port} ${fleet.hosts[0]?.publicKey}\n${dropbear.knownHostsLine}`);
  sshConfig = join(fleet.dir, 'orphan_ssh_config');
  await writeFile(
    sshConfig,
    [
      'Host openssh',
      `  HostName ${fleet.hosts[0]?.address}`,
      `  Port ${fleet.port}`,
      `  IdentityFile ${fleet.clientKey}`,
      'Host dropbear',
      `  HostName ${DROPBEAR_ADDRESS}`,
      `  Port ${dropbear.port}`,
      `  IdentityFile ${dropbear.clientKey}`,
      'Host *',
      `  User ${TEST_USER}`,
      `  UserKnownHostsFile ${knownHosts}`,
      '  StrictHostKeyChecking yes',
      '  ConnectTimeout 5',
      '',
    ].join('\n'),
  );
  runsDir = await mkdtemp(join(tmpdir(), 'fleet-orphan-runs-'));
  await chmod(runsDir, 0o777);
});

afterAll(async () => {
  await dropbear?.close();
  await rm(runsDir, { recursive: true, force: true });
});

beforeEach(() => {
  ssh.env.env.FLEET_SSH_CONFIG = sshConfig;
});

/** The command's processes on the host, found by the test's marker; read-only. */
const commandProcesses = () => processesWith(ssh.env.marker);

/** A figure for docs/design.md: how long something took, printed with the test's output. */
function report(what: string, since: number): void {
  console.log(`[no-orphan] ${what}: ${((Date.now() - since) / 1000).toFixed(2)} s`);
}

/**
 * A foreground agent running, on `host`, a command that notes its run and
 * then waits in a tree of three processes (a shell and two sleeps).
 */
async function treeRunningOn(host: string) {
  const agent = await startForegroundAgent(ssh.env);
  const runs = join(runsDir, `${ssh.env.marker}-runs`);
  const command = `echo run >> '${runs}'; sh -c '${ssh.env.sleep} 300 & ${ssh.env.sleep} 300; wait'`;
  const parent =
    host === 'localhost'
      ? await ssh.env.json<JobJson>(['start', '--', command])
      : await ssh.env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', command]);
  await until(async () => (await commandProcesses()).length >= 3, { what: 'the command tree to start', timeoutMs: 30_000 });
  expect(await readFile(runs, 'utf8')).toBe('run\n');
  // `start` makes one job; `invoke` a parent and its one child.
  const child = host === 'localhost' ? parent.id : parent.id + 1;
  return { agent, runs, child };
}

/** The host's own sshd processes below `listener` (named `name`), not what its sessions run. */
async function sshdProcesses(listener: number, name: string): Promise<number[]> {
  const found: number[] = [];
  for (const pid of [listener, ...(await descendantsOf(listener))]) {
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === name) found.push(pid);
  }
  return found;
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

describe.each(['openssh', 'dropbear', 'localhost'])('an agent SIGKILLed while it runs a command on %s', (host) => {
  it('leaves no process of the command behind, and its child fails agent lost, never run again', async () => {
    const { agent, runs, child } = await treeRunningOn(host);
    const killed = Date.now();
    agent.child.kill('SIGKILL');
    await agent.exited;
    await untilNoProcessesWith(ssh.env.marker, { what: 'the command tree to end', timeoutMs: 60_000 });
    report(`${host}: agent SIGKILL to the command tree gone`, killed);

    expect(await untilState(ssh.env, child, ['Failed'], 60_000)).toMatchObject({ reason: 'agent lost', exitCode: null });
    // A new agent takes new work on the same host, but never the lost job.
    await startForegroundAgent(ssh.env);
    const next =
      host === 'localhost'
        ? await ssh.env.json<JobJson>(['start', '--', 'true'])
        : await ssh.env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', 'true']);
    await untilState(ssh.env, next.id, ['Completed'], 60_000);
    expect(await readFile(runs, 'utf8')).toBe('run\n');
    expect((await ssh.env.json<JobJson[]>(['get', String(child)]))[0]).toMatchObject({ state: 'Failed', reason: 'agent lost' });
  });
});

describe.each(['openssh', 'dropbear'])('an agent SIGKILLed while the sshd of %s is frozen', (host) => {
  it('leaves the command running while sshd cannot know, and ends it once sshd is thawed', async () => {
    const { agent } = await treeRunningOn(host);
    const listener = host === 'openssh' ? (ssh.fleet.hosts[0]?.process?.pid as number) : (dropbear?.pid as number);
    const frozen = await sshdProcesses(listener, host === 'openssh' ? 'sshd' : 'dropbear');
    // The listener and the connection's own process(es): at least two.
    expect(frozen.length).toBeGreaterThanOrEqual(2);
    signalAll(frozen, 'SIGSTOP');
    let thawed: number;
    try {
      agent.child.kill('SIGKILL');
      await agent.exited;
      // Nothing has told the host yet: sshd holds the closed connection unread.
      expect((await commandProcesses()).length).toBeGreaterThanOrEqual(3);
    } finally {
      signalAll(frozen, 'SIGCONT');
      thawed = Date.now();
    }
    await untilNoProcessesWith(ssh.env.marker, { what: 'the command tree to end after the thaw', timeoutMs: 60_000 });
    report(`${host}: sshd thawed to the command tree gone`, thawed);
  });
});

describe.each(['openssh', 'dropbear', 'localhost'])('a command on %s that ends normally', (host) => {
  it('leaves what it started on purpose with nohup running, as plain ssh does', async () => {
    await startForegroundAgent(ssh.env);
    const result = await ssh.env.fleet(['invoke', '-c', host, '--', `nohup ${ssh.env.sleep} 300 >/dev/null 2>&1 & echo $!`]);
    expect(result.code).toBe(0);
    const daemon = Number(/: (\d+)\n$/.exec(result.stdout)?.[1]);
    expect(isAlive(daemon)).toBe(true);
    // Its session is the command's: wait until the command's watcher has looked and gone.
    const stat = await readFile(`/proc/${daemon}/stat`, 'utf8');
    const session = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3];
    await untilNoProcessesWith(`fleet-watch\0${session}\0`, { what: 'the watcher to exit' });
    expect(isAlive(daemon)).toBe(true);
    process.kill(daemon, 'SIGKILL');
    await until(() => !isAlive(daemon), { what: 'the nohup sleep to end' });
  });
});
