import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostCommandSpec, RunSpec } from './command-spec.js';
import { ORPHAN_HEARTBEAT, type OrphanWatchTimes } from './orphan-watch.js';
import { buildRemoteCommand, buildRemoteInput, buildRemoteKill, parseRemoteMarker, REMOTE_MARKER } from './remote-command.js';
import { sessionMembers, until } from './process-table.fixture.js';
import { RemoteStdoutPreambleFilter } from './remote-stdout-preamble.js';
import { commandLineFromArgv } from './shell-quote.js';

const base: RunSpec<HostCommandSpec> = {
  command: { kind: 'shell', line: 'true' },
  workdir: null,
  env: {},
  timeoutMs: null,
  connectTimeoutMs: 10_000,
  maxOutputBytes: 1 << 20,
};

/** The orphan watcher's times in these tests: long enough never to fire unless a test wants it to. */
const WATCH = { silenceSeconds: 60, graceSeconds: 1 };

/**
 * Runs the wrapper as sshd would for a user whose login shell is `shell`:
 * `SHELL -c <command line>` with SHELL set, and the executor's input on stdin,
 * which stays open until the command's output has ended, as the agent keeps
 * the channel's open (`endInput`: closed at once, a header cut short).
 */
async function runAs(
  shell: string,
  spec: RunSpec<HostCommandSpec>,
  options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; endInput?: boolean } = {},
) {
  const child = spawn(shell, ['-c', buildRemoteCommand(spec, WATCH)], {
    argv0: basename(shell),
    env: { ...process.env, ...options.env, SHELL: shell },
  });
  child.stdin.write(options.input ?? buildRemoteInput(spec));
  if (options.endInput) child.stdin.end();
  const stdoutChunks: Buffer[] = [];
  const stderrChunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdoutChunks.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderrChunks.push(chunk));
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  child.stdin.end();
  const stderr = Buffer.concat(stderrChunks).toString('utf8').split('\n');
  // The wrapper's first stdout line is its marker, which the executor takes off as this does.
  const stdout = new RemoteStdoutPreambleFilter();
  return {
    status,
    stdout: Buffer.concat([stdout.push(Buffer.concat(stdoutChunks)), stdout.end()]),
    markers: stderr.map(parseRemoteMarker).filter((marker) => marker !== null),
    stderr: stderr.filter((line) => line !== '' && parseRemoteMarker(line) === null),
  };
}

/** The same line, run as sshd runs a command without fleet: `SHELL -c LINE`, argv[0] the shell's base name. */
function runPlain(shell: string, line: string) {
  const result = spawnSync(shell, ['-c', line], { argv0: basename(shell), input: '', env: { ...process.env, SHELL: shell } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8').split('\n').filter(Boolean) };
}

const hostile = ["it's", '$(id)', '`id`', 'a;b', '*', 'two\nlines', '-n', '', 'ünï', '\\', '"', '!x', '%s'];

/** A command line that prints each named variable's value NUL-terminated. */
const printVariables = (names: string[]) => `printf '%s\\0' ${names.map((name) => `"$${name}"`).join(' ')}`;

describe.each(['/bin/bash', '/bin/dash', '/bin/zsh'])('the remote wrapper under a %s login', (shell) => {
  it('delivers every --argv word byte for byte and reports the session pid', async () => {
    const result = await runAs(shell, { ...base, command: { kind: 'shell', line: commandLineFromArgv(['printf', '%s\\0', ...hostile]) } });
    expect(result.status).toBe(0);
    expect(result.stdout.toString('utf8').split('\0').slice(0, -1)).toEqual(hostile);
    expect(result.markers[0]).toMatchObject({ kind: 'pid' });
    expect(result.markers.at(-1)).toEqual({ kind: 'start' });
  });

  it('runs the line with the login shell as sshd does: its syntax, its $0, its own error line numbers', async () => {
    const line = [
      'echo "$0" {1..3}',
      '[[ -d / ]] && echo double-brackets',
      'printf "%s\\n" /etc/host*.conf',
      'no-such-command-here',
      'echo after',
      'exit 3',
    ].join('\n');
    const wrapped = await runAs(shell, { ...base, command: { kind: 'shell', line } });
    expect({ status: wrapped.status, stdout: wrapped.stdout.toString(), stderr: wrapped.stderr }).toEqual({
      ...runPlain(shell, line),
      stdout: runPlain(shell, line).stdout.toString(),
    });
    expect(wrapped.stdout.toString()).toMatch(new RegExp(`^${basename(shell)} `));
    // The error names the line of the user's command where it was, not a line of the wrapper's.
    expect(wrapped.stderr.find((line) => line.includes('no-such-command-here'))).toMatch(/\b4: /);
  });

  it('sets --env from the header, whatever the value holds, and never puts a value on the command line', async () => {
    const env = {
      PLAIN: 'hunter2',
      MULTILINE: 'one\ntwo\n\nfour\n',
      SPACES: '  both ends  ',
      QUOTES: `it's "$HOME" \`id\` \\n \\`,
      EMPTY: '',
      NEWLINE: '\n',
      UNICODE: 'ünï ✓\r',
      // The wrapper's own variable names, and SHELL: the user's values win, and the login shell still runs the line.
      fleet_record: 'r',
      fleet_value: 'v',
      fleet_name: 'n',
      fleet_lines: 'x',
      fleet_line: 'l',
      SHELL: '/no/such/shell',
    };
    const spec: RunSpec<HostCommandSpec> = { ...base, env, command: { kind: 'shell', line: printVariables(Object.keys(env)) } };
    for (const value of Object.values(env).filter((value) => value.length > 1))
      expect(buildRemoteCommand(spec, WATCH)).not.toContain(value);
    const result = await runAs(shell, spec);
    expect(result.stderr).toEqual([]);
    expect(result.stdout.toString('utf8').split('\0').slice(0, -1)).toEqual(Object.values(env));
  });

  it('changes to --workdir, and says when it is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet wd '));
    expect((await runAs(shell, { ...base, workdir: dir, command: { kind: 'shell', line: 'pwd' } })).stdout.toString()).toBe(`${dir}\n`);
    const missing = await runAs(shell, { ...base, workdir: '/no/such dir' });
    expect(missing.status).toBe(126);
    expect(missing.markers).toContainEqual({ kind: 'error', message: 'working directory /no/such dir does not exist' });
  });

  it('gives the command an empty standard input', async () => {
    const result = await runAs(shell, { ...base, env: { A: 'x' }, command: { kind: 'shell', line: 'cat; echo "end $A"' } });
    expect(result.stdout.toString()).toBe('end x\n');
  });

  it('runs nothing when the header is cut short', async () => {
    const spec: RunSpec<HostCommandSpec> = { ...base, env: { A: 'a\nb' }, command: { kind: 'shell', line: 'echo ran' } };
    const result = await runAs(shell, spec, { input: buildRemoteInput(spec).slice(0, -6), endInput: true });
    expect([result.status, result.stdout.toString()]).toEqual([126, '']);
    expect(result.markers).toContainEqual({ kind: 'error', message: 'the set-up header did not arrive whole' });
  });

  it('runs a script from standard input with its arguments and --env, honouring a shebang, and removes it after', async () => {
    const scripts = mkdtempSync(join(tmpdir(), 'fleet-scripts-'));
    const run = (content: string, args: string[], env: Record<string, string> = {}) =>
      runAs(shell, { ...base, env, command: { kind: 'script', name: 's', content, args } }, { env: { TMPDIR: scripts } });
    const plain = await run('echo "$# $1 $fleet_script"; exit 4\n', ['a b', 'c'], { fleet_script: 'mine' });
    expect([plain.status, plain.stdout.toString()]).toEqual([4, '2 a b mine\n']);
    const shebang = await run(`#!${process.execPath}\nconsole.log(process.argv.slice(2).join('|'))\n`, ['x', "y'z"]);
    expect([shebang.status, shebang.stdout.toString()]).toEqual([0, "x|y'z\n"]);
    expect(readdirSync(scripts)).toEqual([]);
  });
});

describe.each(['/bin/bash', '/bin/dash'])('--stdin under a %s login', (shell) => {
  /** The spec of a command that reads `bytes` on its standard input, and the executor's input for it. */
  const withStdin = (command: HostCommandSpec, bytes: Buffer) => {
    const spec: RunSpec<HostCommandSpec> = { ...base, command, stdin: { size: bytes.length, sha256: '0'.repeat(64), chunks: [] } };
    return { spec, input: Buffer.concat([Buffer.from(buildRemoteInput(spec)), bytes]) };
  };
  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  it('gives the command every byte, then end of file, and leaves no file behind', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'fleet-stdin-'));
    const bytes = Buffer.concat([Buffer.from([0, 255, 10, 13, 0x1e]), randomBytes(3000)]);
    const { spec, input } = withStdin({ kind: 'shell', line: 'sha256sum; ls "$TMPDIR"' }, bytes);
    const result = await runAs(shell, spec, { input, env: { TMPDIR: scratch } });
    expect([result.status, result.stdout.toString()]).toEqual([0, `${sha256(bytes)}  -\n`]);
    expect(readdirSync(scratch)).toEqual([]);
  });

  it('gives empty input as end of file at once', async () => {
    const { spec, input } = withStdin({ kind: 'shell', line: 'wc -c' }, Buffer.alloc(0));
    expect((await runAs(shell, spec, { input })).stdout.toString().trim()).toBe('0');
  });

  it('gives a slow reader more than a pipe holds, whole', async () => {
    const bytes = randomBytes(300_000);
    const slowly = 'while n=$(head -c 65536 | wc -c) && [ "$n" -gt 0 ]; do echo "$n"; sleep 0.05; done';
    const { spec, input } = withStdin({ kind: 'shell', line: slowly }, bytes);
    const sizes = (await runAs(shell, spec, { input })).stdout.toString().trim().split('\n').map(Number);
    expect(sizes.reduce((sum, n) => sum + n, 0)).toBe(bytes.length);
  });

  it('reads a script and then the input after it, each by its length', async () => {
    const bytes = Buffer.from('input line\n');
    const { spec, input } = withStdin({ kind: 'script', name: 's', content: 'read -r line; echo "got $line"\n', args: [] }, bytes);
    expect((await runAs(shell, spec, { input })).stdout.toString()).toBe('got input line\n');
  });

  it('runs nothing where no temporary file can be made, and says so', async () => {
    const { spec, input } = withStdin({ kind: 'shell', line: 'echo ran' }, Buffer.from('x'));
    const result = await runAs(shell, spec, { input, env: { TMPDIR: '/no/such/dir' } });
    expect([result.status, result.stdout.toString()]).toEqual([126, '']);
    expect(result.markers).toContainEqual({ kind: 'error', message: 'cannot create a temporary file for standard input' });
  });

  it('runs nothing when the input is cut short, and says so', async () => {
    const { spec, input } = withStdin({ kind: 'shell', line: 'echo ran' }, Buffer.from('0123456789'));
    const result = await runAs(shell, spec, { input: input.subarray(0, -4), endInput: true });
    expect([result.status, result.stdout.toString()]).toEqual([126, '']);
    expect(result.markers.find((marker) => marker.kind === 'error')).toMatchObject({
      message: expect.stringMatching(/^cannot write standard input to .*fleet-stdin\.\w+: it ended early$/) as string,
    });
  });
});

describe.each(['/bin/bash', '/bin/dash'])('a stop under a %s login', (shell) => {
  it('runs the command in a process group of its own, led by the pid it reports, even when its shell leads none', async () => {
    // spawnSync leaves the shell in this process's group, as Dropbear without a pty does.
    const line = 'read -r fleet_stat < /proc/$$/stat; set -- ${fleet_stat##*) }; echo "$3"';
    const result = await runAs(shell, { ...base, command: { kind: 'shell', line } });
    const pid = result.markers.find((marker) => marker.kind === 'pid');
    expect(result.stdout.toString()).toBe(`${pid?.kind === 'pid' ? pid.pid : 'no pid'}\n`);
  });

  it('signals the whole group: the shell never runs the line past its killed child', async () => {
    const { child, pid, stdout } = await startWrapped(shell, 'sleep 30; echo done', WATCH);
    const ended = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    // The kill line runs in the login shell, as the executor's second channel runs it.
    spawnSync(shell, ['-c', buildRemoteKill(pid, 'TERM')]);
    expect(await ended).toBe('SIGTERM');
    child.stdin.end();
    expect(stdout()).not.toContain('done');
  });
});

/** Sessions the watcher tests started: whatever a failed test left in them is killed after it. */
const startedSessions: number[] = [];

afterEach(() => {
  for (const sid of startedSessions.splice(0).filter((sid) => sid > 1)) {
    for (const pid of sessionMembers(sid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
});

/**
 * Starts the wrapper on `line` with the input open (after `stdin`'s bytes, for
 * --stdin), and resolves once the command starts, with its pid.
 */
async function startWrapped(shell: string, line: string, watch: OrphanWatchTimes, stdin?: Buffer) {
  const manifest = stdin === undefined ? {} : { stdin: { size: stdin.length, sha256: '0'.repeat(64), chunks: [] } };
  const spec: RunSpec<HostCommandSpec> = { ...base, ...manifest, command: { kind: 'shell', line } };
  const child = spawn(shell, ['-c', buildRemoteCommand(spec, watch)], {
    argv0: basename(shell),
    env: { ...process.env, SHELL: shell },
  });
  child.stdin.on('error', () => {});
  child.stdin.write(Buffer.concat([Buffer.from(buildRemoteInput(spec)), stdin ?? Buffer.alloc(0)]));
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const pid = await new Promise<number>((resolve) => {
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const marker = stderr
        .split('\n')
        .map(parseRemoteMarker)
        .find((found) => found?.kind === 'pid');
      if (marker?.kind === 'pid' && stderr.includes(`${REMOTE_MARKER}start\n`)) resolve(marker.pid);
    });
  });
  startedSessions.push(pid);
  return { child, pid, exited, stdout: () => stdout };
}

describe.each(['/bin/bash', '/bin/dash'])('the orphan watcher under a %s login', (shell) => {
  it('ends the whole tree when the input ends mid-command (the agent died)', async () => {
    const run = await startWrapped(shell, 'sleep 30 & sleep 30; wait', WATCH);
    await until(() => sessionMembers(run.pid).length >= 3, 'the command tree to start');
    run.child.stdin.end();
    await until(() => sessionMembers(run.pid).length === 0, 'the command tree to end');
    await run.exited;
    expect(run.stdout()).toBe(`${REMOTE_MARKER}stdout\n`);
  });

  it('with --stdin, still ends the whole tree when the input ends after the command has read its own', async () => {
    const run = await startWrapped(shell, 'wc -c; sleep 30 & sleep 30; wait', WATCH, randomBytes(100_000));
    await until(() => sessionMembers(run.pid).length >= 3, 'the command tree to start');
    run.child.stdin.end();
    await until(() => sessionMembers(run.pid).length === 0, 'the command tree to end');
    await run.exited;
    expect(
      run
        .stdout()
        .split('\n')
        .map((line) => line.trim()),
    ).toEqual([`${REMOTE_MARKER}stdout`, '100000', '']);
  });

  it('ends the whole tree when the input falls silent (the agent was cut off)', async () => {
    const run = await startWrapped(shell, 'sleep 30 & sleep 30; wait', { silenceSeconds: 1, graceSeconds: 1 });
    await until(() => sessionMembers(run.pid).length === 0, 'the command tree to end');
    await run.exited;
    run.child.stdin.end();
  });

  it('lets a command that gets its heartbeat run to its end', async () => {
    const run = await startWrapped(shell, 'sleep 3; echo done', { silenceSeconds: 2, graceSeconds: 1 });
    const heartbeat = setInterval(() => run.child.stdin.write(ORPHAN_HEARTBEAT), 100);
    await run.exited;
    clearInterval(heartbeat);
    run.child.stdin.end();
    expect(run.stdout()).toBe(`${REMOTE_MARKER}stdout\ndone\n`);
  });

  it('leaves alone what a command that ended left running on purpose (nohup ... &), as plain ssh does', async () => {
    const result = await runAs(shell, { ...base, command: { kind: 'shell', line: 'nohup sleep 30 >/dev/null 2>&1 & echo $!' } });
    const daemon = Number(result.stdout.toString());
    const pid = result.markers.find((marker) => marker.kind === 'pid');
    // The watcher has read the end of its input and looked: it is gone.
    const watchers = () =>
      readdirSync('/proc').filter((entry) => {
        try {
          return readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`fleet-watch\0${pid?.kind === 'pid' ? pid.pid : 0}\0`);
        } catch {
          return false;
        }
      });
    if (pid?.kind === 'pid') startedSessions.push(pid.pid);
    await until(() => watchers().length === 0, 'the watcher to exit');
    expect(sessionMembers(pid?.kind === 'pid' ? pid.pid : 0)).toEqual([daemon]);
    process.kill(daemon, 'SIGKILL');
  });
});
