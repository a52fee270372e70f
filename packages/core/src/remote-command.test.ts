import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostCommandSpec, RunSpec } from './command-spec.js';
import { buildRemoteCommand, buildRemoteInput, buildRemoteKill, parseRemoteMarker, REMOTE_MARKER } from './remote-command.js';
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

/**
 * Runs the wrapper as sshd would for a user whose login shell is `shell`:
 * `SHELL -c <command line>` with SHELL set, and the executor's input on stdin.
 */
function runAs(shell: string, spec: RunSpec<HostCommandSpec>, options: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const result = spawnSync(shell, ['-c', buildRemoteCommand(spec)], {
    argv0: basename(shell),
    input: options.input ?? buildRemoteInput(spec),
    env: { ...process.env, ...options.env, SHELL: shell },
  });
  const stderr = result.stderr.toString('utf8').split('\n');
  // The wrapper's first stdout line is its marker, which the executor takes off as this does.
  const stdout = new RemoteStdoutPreambleFilter();
  return {
    status: result.status,
    stdout: Buffer.concat([stdout.push(result.stdout), stdout.end()]),
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
  it('delivers every --argv word byte for byte and reports the session pid', () => {
    const result = runAs(shell, { ...base, command: { kind: 'shell', line: commandLineFromArgv(['printf', '%s\\0', ...hostile]) } });
    expect(result.status).toBe(0);
    expect(result.stdout.toString('utf8').split('\0').slice(0, -1)).toEqual(hostile);
    expect(result.markers[0]).toMatchObject({ kind: 'pid' });
    expect(result.markers.at(-1)).toEqual({ kind: 'start' });
  });

  it('runs the line with the login shell as sshd does: its syntax, its $0, its own error line numbers', () => {
    const line = [
      'echo "$0" {1..3}',
      '[[ -d / ]] && echo double-brackets',
      'printf "%s\\n" /etc/host*.conf',
      'no-such-command-here',
      'echo after',
      'exit 3',
    ].join('\n');
    const wrapped = runAs(shell, { ...base, command: { kind: 'shell', line } });
    expect({ status: wrapped.status, stdout: wrapped.stdout.toString(), stderr: wrapped.stderr }).toEqual({
      ...runPlain(shell, line),
      stdout: runPlain(shell, line).stdout.toString(),
    });
    expect(wrapped.stdout.toString()).toMatch(new RegExp(`^${basename(shell)} `));
    // The error names the line of the user's command where it was, not a line of the wrapper's.
    expect(wrapped.stderr.find((line) => line.includes('no-such-command-here'))).toMatch(/\b4: /);
  });

  it('sets --env from the header, whatever the value holds, and never puts a value on the command line', () => {
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
    for (const value of Object.values(env).filter((value) => value.length > 1)) expect(buildRemoteCommand(spec)).not.toContain(value);
    const result = runAs(shell, spec);
    expect(result.stderr).toEqual([]);
    expect(result.stdout.toString('utf8').split('\0').slice(0, -1)).toEqual(Object.values(env));
  });

  it('changes to --workdir, and says when it is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet wd '));
    expect(runAs(shell, { ...base, workdir: dir, command: { kind: 'shell', line: 'pwd' } }).stdout.toString()).toBe(`${dir}\n`);
    const missing = runAs(shell, { ...base, workdir: '/no/such dir' });
    expect(missing.status).toBe(126);
    expect(missing.markers).toContainEqual({ kind: 'error', message: 'working directory /no/such dir does not exist' });
  });

  it('gives the command an empty standard input', () => {
    const result = runAs(shell, { ...base, env: { A: 'x' }, command: { kind: 'shell', line: 'cat; echo "end $A"' } });
    expect(result.stdout.toString()).toBe('end x\n');
  });

  it('runs nothing when the header is cut short', () => {
    const spec: RunSpec<HostCommandSpec> = { ...base, env: { A: 'a\nb' }, command: { kind: 'shell', line: 'echo ran' } };
    const result = runAs(shell, spec, { input: buildRemoteInput(spec).slice(0, -6) });
    expect([result.status, result.stdout.toString()]).toEqual([126, '']);
    expect(result.markers).toContainEqual({ kind: 'error', message: 'the set-up header did not arrive whole' });
  });

  it('runs a script from standard input with its arguments and --env, honouring a shebang, and removes it after', () => {
    const scripts = mkdtempSync(join(tmpdir(), 'fleet-scripts-'));
    const run = (content: string, args: string[], env: Record<string, string> = {}) =>
      runAs(shell, { ...base, env, command: { kind: 'script', name: 's', content, args } }, { env: { TMPDIR: scripts } });
    const plain = run('echo "$# $1 $fleet_script"; exit 4\n', ['a b', 'c'], { fleet_script: 'mine' });
    expect([plain.status, plain.stdout.toString()]).toEqual([4, '2 a b mine\n']);
    const shebang = run(`#!${process.execPath}\nconsole.log(process.argv.slice(2).join('|'))\n`, ['x', "y'z"]);
    expect([shebang.status, shebang.stdout.toString()]).toEqual([0, "x|y'z\n"]);
    expect(readdirSync(scripts)).toEqual([]);
  });
});

describe.each(['/bin/bash', '/bin/dash'])('a stop under a %s login', (shell) => {
  it('runs the command in a process group of its own, led by the pid it reports, even when its shell leads none', () => {
    // spawnSync leaves the shell in this process's group, as Dropbear without a pty does.
    const line = 'read -r fleet_stat < /proc/$$/stat; set -- ${fleet_stat##*) }; echo "$3"';
    const result = runAs(shell, { ...base, command: { kind: 'shell', line } });
    const pid = result.markers.find((marker) => marker.kind === 'pid');
    expect(result.stdout.toString()).toBe(`${pid?.kind === 'pid' ? pid.pid : 'no pid'}\n`);
  });

  it('signals the whole group: the shell never runs the line past its killed child', async () => {
    const child = spawn(shell, ['-c', buildRemoteCommand({ ...base, command: { kind: 'shell', line: 'sleep 30; echo done' } })], {
      argv0: basename(shell),
      env: { ...process.env, SHELL: shell },
    });
    child.stdin.end(buildRemoteInput(base));
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
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
    const ended = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    // The kill line runs in the login shell, as the executor's second channel runs it.
    spawnSync(shell, ['-c', buildRemoteKill(pid, 'TERM')]);
    expect(await ended).toBe('SIGTERM');
    expect(stdout).not.toContain('done');
  });
});
