import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(4);

const HOST = `$(echo $SSH_CONNECTION | cut -d' ' -f3)`;

describe('invoke --rerun-failed', () => {
  it('runs the same command again, as a new job, on exactly the hosts that failed', async () => {
    const [, b, , d] = ssh.fleet.entries as [string, string, string, string];
    const fixed = `/tmp/${ssh.env.marker}-fixed`;
    // b and d fail until the fix is in; the working directory and environment must come along.
    const command = `[ -e '${fixed}' ] || [ "${HOST}" != ${b} -a "${HOST}" != ${d} ] || exit 7; echo "$(pwd) $GREETING"`;
    const first = await ssh.env.fleet([
      'invoke',
      '-f',
      ssh.fleet.computersFile,
      '--as-job',
      '--workdir',
      '/tmp',
      '--env',
      'GREETING=hi',
      '--json',
      '--',
      command,
    ]);
    const job = JSON.parse(first.stdout) as JobJson;
    await untilState(ssh.env, job.id, ['Failed']);

    await writeFile(fixed, '');
    const rerun = await ssh.env.json<JobJson>(['invoke', '--rerun-failed', String(job.id), '--as-job']);
    expect(rerun.id).not.toBe(job.id);
    expect(rerun.location).toBe(`${b},${d}`);
    expect(rerun.command).toBe(job.command);
    await untilState(ssh.env, rerun.id, ['Completed']);
    const output = await ssh.env.fleet(['receive', String(rerun.id)]);
    expect(output.stdout.split('\n').filter(Boolean).sort()).toEqual([`${b}: /tmp hi`, `${d}: /tmp hi`]);

    // The synchronous form, by name, of a job with nothing left to rerun.
    const none = await ssh.env.fleet(['invoke', '--rerun-failed', String(rerun.id)]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`no host failed in job ${rerun.id}`);
  });

  it('takes neither hosts nor a command of its own, and wants a fan-out', async () => {
    const started = await ssh.env.json<JobJson>(['start', '--', 'exit 1']);
    await untilState(ssh.env, started.id, ['Failed']);
    const withHosts = await ssh.env.fleet(['invoke', '--rerun-failed', String(started.id), '-c', ssh.fleet.entries[0] as string]);
    expect(withHosts.code).toBe(2);
    expect(withHosts.stderr).toContain('leave out -c');
    const notFanOut = await ssh.env.fleet(['invoke', '--rerun-failed', String(started.id)]);
    expect(notFanOut.code).toBe(2);
    expect(notFanOut.stderr).toContain('is not a fan-out over hosts');
    const missing = await ssh.env.fleet(['invoke', '--rerun-failed', '999']);
    expect(missing.code).not.toBe(0);
    expect((await ssh.env.json<JobJson[]>(['get'])).map((job) => job.id)).toEqual([started.id]);
  });
});
