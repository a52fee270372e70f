import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostCommandSpec, RunSpec } from './command-spec.js';
import { buildRemoteCommand, parseRemoteMarker } from './remote-command.js';
import { commandLineFromArgv } from './shell-quote.js';

const base: RunSpec<HostCommandSpec> = {
  command: { kind: 'shell', line: 'true' },
  workdir: null,
  env: {},
  timeoutMs: null,
  connectTimeoutMs: 10_000,
  maxOutputBytes: 1 << 20,
};

/** Runs the wrapper as a login shell would: `SHELL -c <command line>`. */
function runAs(shell: string, spec: RunSpec<HostCommandSpec>, input = '') {
  const result = spawnSync(shell, ['-c', buildRemoteCommand(spec)], { input });
  const stderr = result.stderr.toString('utf8').split('\n');
  return {
    status: result.status,
    stdout: result.stdout,
    markers: stderr.map(parseRemoteMarker).filter((marker) => marker !== null),
    stderr: stderr.filter((line) => line !== '' && parseRemoteMarker(line) === null),
  };
}

const hostile = ["it's", '$(id)', '`id`', 'a;b', '*', 'two\nlines', '-n', '', 'ünï', '\\', '"', '!x', '%s'];

describe.each(['/bin/bash', '/bin/dash'])('the remote wrapper under %s', (shell) => {
  it('delivers every argument byte for byte and reports the session pid', () => {
    const result = runAs(shell, { ...base, command: { kind: 'shell', line: commandLineFromArgv(['printf', '%s\\0', ...hostile]) } });
    expect(result.status).toBe(0);
    expect(result.stdout.toString('utf8').split('\0').slice(0, -1)).toEqual(hostile);
    expect(result.markers[0]).toMatchObject({ kind: 'pid' });
    expect(result.markers.at(-1)).toEqual({ kind: 'start' });
  });

  it('sets the environment and working directory, and says when the directory is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet wd '));
    const ok = runAs(shell, {
      ...base,
      workdir: dir,
      env: { GREETING: "it's $HOME" },
      command: { kind: 'shell', line: 'pwd; echo "$GREETING"' },
    });
    expect(ok.stdout.toString()).toBe(`${dir}\nit's $HOME\n`);
    const missing = runAs(shell, { ...base, workdir: '/no/such dir' });
    expect(missing.status).toBe(126);
    expect(missing.markers).toContainEqual({ kind: 'error', message: 'working directory /no/such dir does not exist' });
  });

  it('runs a script from standard input with its arguments, honouring a shebang', () => {
    const plain = runAs(
      shell,
      { ...base, command: { kind: 'script', name: 's.sh', content: 'echo "$# $1"; exit 4\n', args: ['a b', 'c'] } },
      'echo "$# $1"; exit 4\n',
    );
    expect([plain.status, plain.stdout.toString()]).toEqual([4, '2 a b\n']);
    const node = `#!${process.execPath}\nconsole.log(process.argv.slice(2).join('|'))\n`;
    const shebang = runAs(shell, { ...base, command: { kind: 'script', name: 'n.mjs', content: node, args: ['x', "y'z"] } }, node);
    expect([shebang.status, shebang.stdout.toString()]).toEqual([0, "x|y'z\n"]);
  });
});
