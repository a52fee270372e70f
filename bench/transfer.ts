// fleet push against parallel-scp and clush --copy, and fleet pull against
// parallel-slurp and clush --rcopy, on the tests' loopback sshd fleet, in
// one run, tools alternating. Writes bench/TRANSFER.md. Not part of npm test.
//
// Settings (environment): BENCH_TRANSFER_HOSTS (default 100),
// BENCH_PUSH_MB (the pushed file's size, default 100), BENCH_PULL_MB (the
// size of the file pulled from each host, default 10), BENCH_ROUNDS (runs
// per tool, default 3), BENCH_OUT_DIR (where the report goes, default bench/).
//
// Pull: every host has a file of its own (random, so no two hosts share
// content) at `$HOME/bench-pull/pulled.bin`; each tool brings all of them
// into an empty local directory, and every host's copy is checked by hash.
//
// Every host has a HOME of its own (sshd SetEnv), as separate machines would,
// and every tool writes into `$HOME/bench-push/` there: fleet with `~/`, the
// peers through scp's original protocol (`scp -O`), whose remote path the
// remote shell expands (SFTP mode would resolve it against the login user's
// passwd home, which the loopback hosts share). Each run starts from empty
// destinations, so no tool finds the file already there.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hostFileName } from '@fleet/core';
import pMap from 'p-map';
import { until } from '../test/support/poll.js';
import { startSshFleet, TEST_USER } from '../test/support/ssh-fleet.js';
import { FLEET, reportFile } from './paths.js';
import { installPeers } from './peers.js';
import { benchEnv, benchRedis } from './redis.js';
import { timedRun } from './timed.js';
import { median, targetTable, timeTable, type Series, type Target } from './report.js';

const run = promisify(execFile);
const HOSTS = Number(process.env.BENCH_TRANSFER_HOSTS ?? 100);
const PUSH_MB = Number(process.env.BENCH_PUSH_MB ?? 100);
const PULL_MB = Number(process.env.BENCH_PULL_MB ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PARALLEL = 32;
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

installPeers(log);
const work = await mkdtemp(join(tmpdir(), 'fleet-transfer-'));
log(`starting ${HOSTS} sshd hosts`);
// ConnectTimeout 30 for every tool alike: 100 hosts written to at once can keep a 2-core machine's sshd from answering in 5 s.
const fleet = await startSshFleet(HOSTS, { sshdOptions: ['MaxStartups=100:30:200'], connectTimeoutSeconds: 30 });
const redis = await benchRedis();
let agent: ChildProcess | null = null;
process.once('exit', () => {
  agent?.kill('SIGKILL');
  for (const host of fleet.hosts) host.process?.kill('SIGKILL');
});
const env = benchEnv(work, redis, { FLEET_SSH_CONFIG: fleet.sshConfig });
await mkdir(env.HOME as string);
const hostsFile = join(work, 'hosts');
await writeFile(hostsFile, `${fleet.entries.join('\n')}\n`);

const source = join(work, 'big.bin');
await writeFile(source, randomBytes(PUSH_MB * 1_000_000));
const sourceHash = createHash('sha256')
  .update(await readFile(source))
  .digest('hex');
const { uid, gid } = await userIds(TEST_USER);
const destination = (home: string) => join(home, 'bench-push');

async function userIds(user: string): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', [user]);
  return { uid: Number(/uid=(\d+)/.exec(stdout)?.[1]), gid: Number(/gid=(\d+)/.exec(stdout)?.[1]) };
}

/** Empty destination directories on every host, owned by the login user. */
async function emptyDestinations(): Promise<void> {
  await pMap(
    fleet.hosts,
    async (host) => {
      await rm(destination(host.home), { recursive: true, force: true });
      await mkdir(destination(host.home));
      await chown(destination(host.home), uid, gid);
    },
    { concurrency: 16 },
  );
}

/** Every host has the file, byte for byte: a tool that did not deliver is not timed as if it had. */
async function checkDelivered(tool: string): Promise<void> {
  await pMap(
    fleet.hosts,
    async (host) => {
      const hash = createHash('sha256')
        .update(await readFile(join(destination(host.home), 'big.bin')))
        .digest('hex');
      if (hash !== sourceHash) throw new Error(`${tool}: ${host.address} has a different big.bin`);
    },
    { concurrency: 4 },
  );
}

const timed = (command: string, args: string[]) => timedRun(command, args, { env });

async function startAgent(): Promise<void> {
  agent = spawn(process.execPath, [FLEET, 'agent'], { env, stdio: 'ignore' });
  const pid = agent.pid as number;
  await until(async () => (await run(process.execPath, [FLEET, 'agents', '--json'], { env })).stdout.includes(`"pid":${pid}`), {
    what: 'the agent to register',
  });
}

const scpOptions = `-O -F ${fleet.sshConfig}`;
/** clush on every host, at the bench's parallelism, scp in its original protocol. */
const clush = (...args: string[]) => timed('clush', ['-w', fleet.entries.join(','), '-f', String(PARALLEL), '-o', scpOptions, ...args]);
const tools: { name: string; push: () => Promise<number> }[] = [
  {
    name: 'fleet',
    push: () => timed(process.execPath, [FLEET, 'push', '-f', hostsFile, '--throttle', String(PARALLEL), source, '~/bench-push/']),
  },
  {
    name: 'parallel-scp',
    push: () => timed('parallel-scp', ['-h', hostsFile, '-p', String(PARALLEL), '-t', '0', '-x', scpOptions, source, '$HOME/bench-push/']),
  },
  {
    name: 'clush --copy',
    push: () => clush('--copy', source, '--dest', '$HOME/bench-push/'),
  },
];

/** Each host's file to pull, and its hash. */
const pulledHashes = new Map<string, string>();
await pMap(
  fleet.hosts,
  async (host, index) => {
    const bytes = randomBytes(PULL_MB * 1_000_000);
    await mkdir(join(host.home, 'bench-pull'), { recursive: true });
    await writeFile(join(host.home, 'bench-pull', 'pulled.bin'), bytes);
    await chown(join(host.home, 'bench-pull', 'pulled.bin'), uid, gid);
    pulledHashes.set(fleet.entries[index] as string, createHash('sha256').update(bytes).digest('hex'));
  },
  { concurrency: 4 },
);
const pulledInto = join(work, 'pulled');

/** Every host's file arrived byte for byte, where `where(host)` says the tool puts it. */
async function checkPulled(tool: string, where: (host: string) => string): Promise<void> {
  await pMap(
    [...pulledHashes],
    async ([host, want]) => {
      const bytes = await readFile(where(host)).catch(async () => {
        const { stdout } = await run('find', [pulledInto]);
        throw new Error(`${tool}: ${host}'s pulled.bin is not at ${where(host)}; there are:\n${stdout}`);
      });
      const hash = createHash('sha256').update(bytes).digest('hex');
      if (hash !== want) throw new Error(`${tool}: ${host}'s pulled.bin arrived different`);
    },
    { concurrency: 4 },
  );
}

const remoteFile = '~/bench-pull/pulled.bin';
const pullTools: { name: string; pull: () => Promise<number>; where: (host: string) => string }[] = [
  {
    name: 'fleet',
    pull: () => timed(process.execPath, [FLEET, 'pull', '-f', hostsFile, '--throttle', String(PARALLEL), remoteFile, pulledInto]),
    where: (host) => join(pulledInto, hostFileName(host), 'pulled.bin'),
  },
  {
    name: 'parallel-slurp',
    pull: () =>
      timed('parallel-slurp', [
        '-h',
        hostsFile,
        '-p',
        String(PARALLEL),
        '-t',
        '0',
        '-x',
        scpOptions,
        '-L',
        pulledInto,
        '$HOME/bench-pull/pulled.bin',
        'pulled.bin',
      ]),
    // Debian's pslurp names the directory of a host given without a port HOST:None.
    where: (host) => join(pulledInto, `${host}:None`, 'pulled.bin'),
  },
  {
    name: 'clush --rcopy',
    pull: () => clush('--rcopy', '$HOME/bench-pull/pulled.bin', '--dest', pulledInto),
    where: (host) => join(pulledInto, `pulled.bin.${host}`),
  },
];

await startAgent();
const push: Series[] = tools.map((tool) => ({ tool: tool.name, runs: [] }));
for (let round = 0; round < ROUNDS; round += 1) {
  const order = [...tools.slice(round % tools.length), ...tools.slice(0, round % tools.length)];
  for (const tool of order) {
    await emptyDestinations();
    const seconds = await tool.push();
    await checkDelivered(tool.name);
    push.find((entry) => entry.tool === tool.name)?.runs.push(seconds);
    log(`push ${PUSH_MB} MB to ${HOSTS} hosts, round ${round + 1}: ${tool.name} ${seconds.toFixed(2)} s`);
  }
}

const pull: Series[] = pullTools.map((tool) => ({ tool: tool.name, runs: [] }));
for (let round = 0; round < ROUNDS; round += 1) {
  const order = [...pullTools.slice(round % pullTools.length), ...pullTools.slice(0, round % pullTools.length)];
  for (const tool of order) {
    await rm(pulledInto, { recursive: true, force: true });
    await mkdir(pulledInto);
    const seconds = await tool.pull();
    await checkPulled(tool.name, tool.where);
    pull.find((entry) => entry.tool === tool.name)?.runs.push(seconds);
    log(`pull ${PULL_MB} MB from each of ${HOSTS} hosts, round ${round + 1}: ${tool.name} ${seconds.toFixed(2)} s`);
  }
}

// TypeScript cannot see startAgent set it.
const running = agent as ChildProcess | null;
if (running !== null) {
  const exited = new Promise((resolve) => running.once('exit', resolve));
  running.kill('SIGTERM');
  await exited;
  agent = null;
}
await redis.stop();
await pMap(
  fleet.hosts,
  async (host) => {
    await rm(destination(host.home), { recursive: true, force: true });
    await rm(join(host.home, 'bench-pull'), { recursive: true, force: true });
  },
  { concurrency: 16 },
);
await fleet.close();
await rm(work, { recursive: true, force: true });

const fleetMedian = median(push[0]?.runs ?? []);
const fleetPullMedian = median(pull[0]?.runs ?? []);
const targets: Target[] = [
  ...push.slice(1).map((entry) => ({
    what: `push ${PUSH_MB} MB to ${HOSTS} hosts: fleet / ${entry.tool}`,
    value: fleetMedian / median(entry.runs),
    bound: 1,
    unit: '×' as const,
  })),
  ...pull.slice(1).map((entry) => ({
    what: `pull ${PULL_MB} MB from each of ${HOSTS} hosts: fleet / ${entry.tool}`,
    value: fleetPullMedian / median(entry.runs),
    bound: 1,
    unit: '×' as const,
  })),
];
const report = `# Moving files: fleet push against parallel-scp and clush --copy, fleet pull against parallel-slurp and clush --rcopy

One run of \`BENCH_ONLY=transfer.ts npm run bench\` on the tests' loopback sshd fleet (one OpenSSH
sshd per host on 127.0.x.y, all on this machine), every tool at parallelism ${PARALLEL}, tools
alternating round by round. The ratios within one run are what to compare.

- Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB.
- Run: ${new Date().toISOString()}, ${ROUNDS} rounds; one random file of ${PUSH_MB} MB to ${HOSTS} hosts,
  into an empty \`$HOME/bench-push/\` on each, checked byte for byte on every host after every run.
- fleet: \`fleet push -f HOSTS --throttle ${PARALLEL} FILE '~/bench-push/'\`, the CLI's whole life (the
  file's upload into Redis included) with one agent already running.
- parallel-scp: \`parallel-scp -p ${PARALLEL} -x '-O -F ssh_config' FILE '$HOME/bench-push/'\`;
  clush: \`clush -f ${PARALLEL} -o '-O -F ssh_config' --copy FILE --dest '$HOME/bench-push/'\`.
- Pull: a random file of ${PULL_MB} MB of its own on each host. fleet: \`fleet pull -f HOSTS --throttle ${PARALLEL}
  '~/bench-pull/pulled.bin' DIR\` (the content goes through Redis, then is written out);
  parallel-slurp: \`parallel-slurp -p ${PARALLEL} -x '-O -F ssh_config' -L DIR '$HOME/bench-pull/pulled.bin' pulled.bin\`;
  clush: \`clush -f ${PARALLEL} -o '-O -F ssh_config' --rcopy '$HOME/bench-pull/pulled.bin' --dest DIR\`.

## Targets

${targetTable(targets)}

## Push ${PUSH_MB} MB to ${HOSTS} hosts

${timeTable(push)}

## Pull ${PULL_MB} MB from each of ${HOSTS} hosts

${timeTable(pull)}
`;
await writeFile(reportFile('TRANSFER.md'), report);
process.stdout.write(report);
