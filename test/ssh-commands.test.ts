import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DASH_TEST_USER, TEST_USER, ZSH_TEST_USER } from './support/ssh-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(2);

const HOSTILE = [
  "it's",
  '$(touch /tmp/pwned)',
  '`id`',
  'a;b',
  '*',
  'two\nlines',
  '-n',
  '',
  'ünï cødé ✓',
  '\\',
  '"',
  '!x',
  '%s',
  '  ',
  '>out',
  '|',
  '&&',
  '#',
];

describe('commands arrive intact', () => {
  it.each([
    [TEST_USER, '/bin/bash'],
    [DASH_TEST_USER, '/bin/dash'],
    [ZSH_TEST_USER, '/bin/zsh'],
  ])('delivers every argument after --argv -- byte for byte to the remote program, logged in as %s (%s)', async (user, shell) => {
    expect(execFileSync('getent', ['passwd', user]).toString().trim().endsWith(`:${shell}`)).toBe(true);
    const hosts = ssh.fleet.entries.map((host) => `${user}@${host}`);
    // The remote sh receives the words as its arguments and hex-dumps them NUL-separated.
    const dump = 'printf "%s\\0" "$@" | od -An -tx1 | tr -d " \\n"';
    const result = await ssh.env.fleet(['invoke', '-c', hosts.join(','), '--argv', '--', 'sh', '-c', dump, 'sh', ...HOSTILE]);
    expect(result.code).toBe(0);
    const expected = Buffer.from(HOSTILE.map((word) => `${word}\0`).join(''), 'utf8').toString('hex');
    expect(result.stdout.split('\n').filter(Boolean).sort()).toEqual(hosts.map((host) => `${host}: ${expected}`).sort());
  });

  it.each([TEST_USER, DASH_TEST_USER, ZSH_TEST_USER])(
    'runs a command line holding every shell metacharacter as written, logged in as %s',
    async (user) => {
      const host = `${user}@${ssh.fleet.entries[0]}`;
      // One word is a command line: the login shell parses it, as it would after `ssh host`.
      const line = `printf '%s|' "it's" '$(x)' '\`y\`' 'a;b&c' '<>|' '*?[]' '{a,b}' '~' '!!' '#' '\\' "\\"q\\"" && echo $((6*7)) \${HOME:+set}`;
      const result = await ssh.env.fleet(['invoke', '-c', host, '--', line]);
      expect(result.stdout).toBe(`${host}: it's|$(x)|\`y\`|a;b&c|<>||*?[]|{a,b}|~|!!|#|\\|"q"|42 set\n`);
    },
  );

  it('runs one word as a shell command line', async () => {
    const result = await ssh.env.fleet(['invoke', '-c', ssh.fleet.entries[0] as string, '--', 'echo a; echo b | tr b c']);
    expect(result.stdout).toBe(`${ssh.fleet.entries[0]}: a\n${ssh.fleet.entries[0]}: c\n`);
  });
});

describe('--script, --workdir and --env', () => {
  it('sends a local script and runs it on each host with its arguments, honouring its shebang', async () => {
    const host = ssh.fleet.entries[0] as string;
    const plain = join(ssh.env.home, 'plain.sh');
    await writeFile(plain, 'echo "sh: $# [$1] [$2]"; echo "dir: $(pwd)"\n');
    const bash = join(ssh.env.home, 'arrays.bash');
    await writeFile(bash, '#!/bin/bash\nwords=("$@"); echo "bash ${BASH_VERSINFO[0]}: ${#words[@]} ${words[1]}"\n');
    const a = await ssh.env.fleet(['invoke', '-c', host, '--script', plain, '--', 'one two', "it's"]);
    expect(a.stdout).toBe(`${host}: sh: 2 [one two] [it's]\n${host}: dir: /home/${TEST_USER}\n`);
    const b = await ssh.env.fleet(['invoke', '-c', host, '--file-path', bash, '--', 'x', '$y z']);
    expect(b.stdout).toMatch(new RegExp(`^${host.replaceAll('.', '\\.')}: bash \\d+: 2 \\$y z\\n$`));
  });

  it('starts in --workdir with --env set, and fails clearly on a missing directory', async () => {
    const host = ssh.fleet.entries[1] as string;
    const result = await ssh.env.fleet([
      'invoke',
      '-c',
      host,
      '--workdir',
      '/tmp',
      '--env',
      'A=1 2',
      '--env',
      "B=it's",
      '--',
      'pwd; echo "$A|$B"',
    ]);
    expect(result.stdout).toBe(`${host}: /tmp\n${host}: 1 2|it's\n`);
    const missing = await ssh.env.fleet(['invoke', '-c', host, '--workdir', '/no/such', '--', 'pwd']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${host}: error: working directory /no/such does not exist\n`);
  });
});
