import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesWith } from './support/fleet-env.js';
import { until } from './support/poll.js';
import { DASH_TEST_USER, TEST_USER, ZSH_TEST_USER } from './support/ssh-fleet.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(1);

const LOGINS = [
  [TEST_USER, '/bin/bash'],
  [DASH_TEST_USER, '/bin/dash'],
  [ZSH_TEST_USER, '/bin/zsh'],
] as const;

/**
 * What a sysadmin types after `ssh host` and expects their shell to handle:
 * brace expansion, `[[ ]]`, `source`, a glob, `$0`, and an error on line 6
 * whose message names line 6. Each shell answers in its own way (dash has no
 * `{1..3}`, `[[` or `source`); fleet must answer as ssh does.
 */
const LINE = [
  'echo {1..3}',
  '[[ -d /tmp ]] && echo yes',
  'source /etc/os-release && echo "$ID"',
  'echo /etc/host*.conf',
  'echo "$0"',
  'no-such-command-here',
  'exit 3',
].join('\n');

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** The same command with the OpenSSH client, over the test fleet's ssh_config. */
function plainSsh(user: string, words: string[]): Promise<Run> {
  const target = `${user}@${ssh.fleet.entries[0]}`;
  return new Promise((resolve) => {
    execFile('ssh', ['-F', ssh.fleet.sshConfig, '-o', 'BatchMode=yes', target, ...words], (error, stdout, stderr) => {
      resolve({ stdout, stderr, code: error === null ? 0 : typeof error.code === 'number' ? error.code : null });
    });
  });
}

/**
 * A one-host job's output as `--outdir` writes it (stdout and stderr apart,
 * as pssh -o/-e does) and its exit code. `args` makes the job: `invoke -c HOST
 * --as-job ...` or `start ...`; `env` goes to the CLI, and so to the agent it starts.
 */
async function viaFleet(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const made = await ssh.env.fleet([...args.slice(0, args.indexOf('--')), '--json', ...args.slice(args.indexOf('--'))], { env });
  const job = JSON.parse(made.stdout) as JobJson;
  await untilState(ssh.env, job.id, ['Completed', 'Failed']);
  const jobs = await ssh.env.json<JobJson[]>(['get', String(job.id), '--children']);
  const dir = await mkdtemp(join(ssh.env.home, 'out-'));
  await ssh.env.fleet(['receive', String(job.id), '--outdir', dir]);
  const files = await readdir(dir);
  const read = (suffix: string) => readFile(join(dir, files.find((file) => file.endsWith(suffix)) ?? 'none'), 'utf8');
  return { stdout: await read('.out'), stderr: await read('.err'), code: jobs.at(-1)?.exitCode ?? null };
}

describe('the command runs as ssh would run it', () => {
  it.each(LOGINS)('answers as plain ssh does, logged in as %s (%s)', async (user, shell) => {
    expect((await readFile('/etc/passwd', 'utf8')).split('\n')).toContainEqual(expect.stringMatching(new RegExp(`^${user}:.*:${shell}$`)));
    const fleet = await viaFleet(['invoke', '-c', `${user}@${ssh.fleet.entries[0]}`, '--as-job', '--', LINE]);
    const plain = await plainSsh(user, [LINE]);
    expect(fleet).toEqual(plain);
    // Not just equal: the shell's own answers, and its own line number in the error.
    expect(plain.code).toBe(3);
    expect(plain.stderr).toMatch(/\b6: .*no-such-command-here|no-such-command-here.*\b6:/);
    if (shell === '/bin/bash') expect(plain.stdout).toBe('1 2 3\nyes\ndebian\n/etc/host.conf\nbash\n');
  });

  it.each([
    [TEST_USER, '.bashrc'],
    [ZSH_TEST_USER, '.zshenv'],
  ])('reads the startup files as ssh does, and shows what they print once, logged in as %s (%s)', async (user, file) => {
    // The hosts' sessions have their own HOME (sshd SetEnv), where the shells look for these files.
    const path = join(ssh.fleet.hosts[0]?.home ?? '', file);
    await writeFile(path, 'echo "startup file says hi" >&2\necho "and on stdout"\nGREETING=hello\n');
    try {
      const line = 'echo "$GREETING"';
      const fleet = await viaFleet(['invoke', '-c', `${user}@${ssh.fleet.entries[0]}`, '--as-job', '--', line]);
      const plain = await plainSsh(user, [line]);
      expect(fleet).toEqual(plain);
      // Said once, and the file's (unexported) variable is there for the line.
      expect(plain).toEqual({ stdout: 'and on stdout\nhello\n', stderr: 'startup file says hi\n', code: 0 });
    } finally {
      await rm(path, { force: true });
    }
  });

  it('joins the words after -- with spaces, as ssh does, so the remote shell expands them', async () => {
    const host = ssh.fleet.entries[0] as string;
    const words = ['ls', '/etc/host*.conf', '&&', 'echo', '$((6*7))'];
    const fleet = await viaFleet(['invoke', '-c', host, '--as-job', '--', ...words]);
    expect(fleet).toEqual(await plainSsh(TEST_USER, words));
    expect(fleet.stdout).toBe('/etc/host.conf\n42\n');
  });

  it('quotes each word with --argv, so that it arrives as one argument, byte for byte', async () => {
    const host = ssh.fleet.entries[0] as string;
    const fleet = await viaFleet(['invoke', '-c', host, '--as-job', '--argv', '--', 'ls', '/etc/host*.conf']);
    expect(fleet.code).toBe(2);
    expect(fleet.stderr).toBe("ls: cannot access '/etc/host*.conf': No such file or directory\n");
    const words = ['printf', '[%s]\\n', "it's", '$HOME', 'a  b', '*'];
    const exact = await viaFleet(['invoke', '-c', host, '--as-job', '--argv', '--', ...words]);
    expect(exact.stdout).toBe(`[it's]\n[$HOME]\n[a  b]\n[*]\n`);
    const job = await ssh.env.json<JobJson>(['invoke', '-c', host, '--as-job', '--argv', '--', ...words]);
    expect(job.command).toBe(`printf '[%s]\\n' 'it'\\''s' '$HOME' 'a  b' '*'`);
    await untilState(ssh.env, job.id, ['Completed']);
  });

  it.each(LOGINS)("runs a line on localhost with the local user's shell as ssh runs it for a %s login (%s)", async (user, shell) => {
    const local = await viaFleet(['invoke', '-c', 'localhost', '--as-job', '--', LINE], { SHELL: shell });
    expect(local).toEqual(await plainSsh(user, [LINE]));
    const started = await viaFleet(['start', '--', 'echo {1..2} "$0"'], { SHELL: shell });
    expect(started.stdout).toBe((await plainSsh(user, ['echo {1..2} "$0"'])).stdout);
  });
});

describe('--env values are secret on the host', () => {
  it('never puts a value in any process argv, and the command still sees it', async () => {
    const token = `hunter2${randomBytes(6).toString('hex')}`;
    const value = `${token} it's\nsecond line`;
    const host = ssh.fleet.entries[0] as string;
    const parent = await ssh.env.json<JobJson>([
      'invoke',
      '-c',
      `localhost,${host}`,
      '--as-job',
      '--env',
      `SECRET=${value}`,
      '--',
      // The shell stays alive beside its sleep (no exec): a wrapper's argv would stay readable all along.
      `printf '%s|' "$SECRET"; echo; ${ssh.env.sleep} 300; true`,
    ]);
    // Both commands have printed the value (so they run, with it in their environment) and sleep on.
    await until(
      async () => {
        const out = await ssh.env.fleet(['receive', String(parent.id), '--keep']);
        return out.stdout.split('\n').filter((line) => line.endsWith(`: ${token} it's`)).length === 2 && out;
      },
      { what: 'both hosts to print the value' },
    );
    expect((await processesWith(ssh.env.marker)).length).toBeGreaterThanOrEqual(2);
    // This machine is the host: every process on it, the sshd sessions and the agent included.
    expect(await processesWith(token)).toEqual([]);
    await ssh.env.fleet(['stop', String(parent.id)]);
    await untilState(ssh.env, parent.id, ['Stopped']);
  });
});
