import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFleetEnv, type FleetEnv } from './support/fleet-env.js';
import { isAlive, until } from './support/poll.js';
import type { JobJson } from './support/use-fleet.js';

const run = promisify(execFile);
const CLI_PACKAGE = fileURLToPath(new URL('../packages/cli/', import.meta.url));
/** A network namespace of its own: nothing answers on 127.0.0.1:6379 there, so fleet starts its embedded Redis. */
const NO_NETWORK = ['/usr/bin/unshare', '--net'];

let env: FleetEnv;

beforeEach(async () => {
  env = await createFleetEnv(null);
});

afterEach(async () => {
  const pidFile = join(env.env.FLEET_STATE_DIR as string, 'redis', 'redis.pid');
  if (existsSync(pidFile)) {
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await until(() => !isAlive(pid), { what: 'the embedded redis-server to exit' });
  }
  await env.cleanup();
});

describe('installed from its tarball, like a tool', () => {
  it('npm pack, then npm install -g, gives a fleet on PATH that works with no repository around it', async () => {
    const packed = join(env.home, 'packed');
    const prefix = join(env.home, 'prefix');
    const elsewhere = join(env.home, 'elsewhere');
    await mkdir(packed);
    await mkdir(elsewhere);
    // The test run has built the CLI already; prepack would build it again, under the feet of
    // other test files running the same bundle.
    const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packed], { cwd: CLI_PACKAGE });
    const [{ filename, files }] = JSON.parse(pack.stdout) as [{ filename: string; files: { path: string }[] }];
    expect(filename).toMatch(/^fleet-jobs-\d+\.\d+\.\d+\.tgz$/);
    // The bundles only: no tsc output, which would import the workspace's private packages.
    expect(files.map((file) => file.path).filter((path) => path.startsWith('dist/') && !/^dist\/chunk-\w+\.js$/.test(path))).toEqual(
      // With the web page of fleet serve, which the server reads from dist/page/ beside the bundles.
      expect.arrayContaining([
        'dist/fleet-cli.js',
        'dist/fleet-agent.mjs',
        'dist/thread-worker.js',
        'dist/page/index.html',
        'dist/page/app.js',
        'dist/page/app.css',
        'dist/page/icon.svg',
      ]),
    );
    expect(files.map((file) => file.path)).not.toContain('dist/main.js');
    const tarball = join(packed, filename);
    const npmEnv = { PATH: process.env.PATH, HOME: env.home };
    // Nothing to fetch: the package depends on nothing.
    await run('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball], {
      env: npmEnv,
      cwd: elsewhere,
    });

    // What a user has: the prefix's bin and node on PATH, a HOME with nothing of fleet's in it,
    // and a working directory far from any repository.
    const userEnv: NodeJS.ProcessEnv = {
      ...env.env,
      PATH: `${join(prefix, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`,
      // Long enough that a loaded machine's next command still finds the agent; short enough to watch it leave.
      FLEET_AGENT_IDLE: '8',
    };
    delete userEnv.FLEET_PREFIX;
    const fleet = async (line: string) => run('bash', ['-c', line], { env: userEnv, cwd: elsewhere });
    const user = async (args: string) => fleet(`${NO_NETWORK.join(' ')} fleet ${args}`);

    expect((await fleet('command -v fleet')).stdout.trim()).toBe(join(prefix, 'bin', 'fleet'));
    const { version } = JSON.parse(await readFile(join(CLI_PACKAGE, 'package.json'), 'utf8')) as { version: string };
    expect((await fleet('fleet --version')).stdout).toBe(`${version}\n`);
    expect((await user('get --json')).stdout).toBe('[]\n');
    const job = JSON.parse((await user(`start --json --name installed -- 'echo from the tarball # ${env.marker}'`)).stdout) as JobJson;
    expect((await user(`receive ${job.id} --wait`)).stdout).toBe('from the tarball\n');
    const invoked = await user(`invoke -c localhost,localhost -- 'echo hi # ${env.marker}'`);
    expect(invoked.stdout).toBe('localhost: hi\nlocalhost: hi\n');
    expect(invoked.stderr).toBe('2 of 2 hosts completed\n');
    // The detached agent that fleet started came from the installed package, and leaves when idle.
    const agents = JSON.parse((await user('agents --json')).stdout) as { pid: number }[];
    expect(agents).toHaveLength(1);
    const agentLine = (await readFile(`/proc/${agents[0]?.pid}/cmdline`, 'utf8')).split('\0');
    expect(agentLine).toContain(join(prefix, 'lib', 'node_modules', 'fleet-jobs', 'bin', 'fleet.js'));
    await until(() => agents.every((agent) => !isAlive(agent.pid)), { what: 'the idle agent to exit' });

    // Completion as the README has it: `source <(fleet completion)`.
    const completion = await fleet(
      [
        'source <(fleet completion)',
        'COMP_WORDS=(fleet rec); COMP_CWORD=1; _fleet_yargs_completions; printf \'%s\\n\' "${COMPREPLY[@]}"',
        'COMP_WORDS=(fleet invoke --thro); COMP_CWORD=2; _fleet_yargs_completions; printf \'%s\\n\' "${COMPREPLY[@]}"',
      ].join('\n'),
    );
    expect(completion.stdout).toBe('receive\n--throttle\n');
  });
});
