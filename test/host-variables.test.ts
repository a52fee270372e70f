import { describe, expect, it } from 'vitest';
import { processesWith } from './support/fleet-env.js';
import { until } from './support/poll.js';
import { parseRecords, untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(2);

const PRINT = 'echo "$FLEET_HOST $FLEET_RANK $FLEET_COUNT $FLEET_JOB_ID"';

/** `invoke -c HOSTS --as-job [OPTIONS] -- LINE`: the new parent. */
function invokeJob(hosts: readonly string[], line: string, options: string[] = []): Promise<JobJson> {
  return ssh.env.json<JobJson>(['invoke', '-c', hosts.join(','), '--as-job', ...options, '--', line]);
}

/** The text output of a finished job, its lines sorted (hosts finish in any order). */
async function sortedLines(id: number): Promise<string[]> {
  await untilState(ssh.env, id, ['Completed']);
  const out = await ssh.env.fleet(['receive', String(id), '--keep']);
  return out.stdout
    .split('\n')
    .filter((line) => line !== '')
    .sort();
}

describe('per-child variables (FLEET_HOST, FLEET_RANK, FLEET_COUNT, FLEET_JOB_ID)', () => {
  it('gives every child its own entry, rank in host-list order, count and job id, over SSH and on localhost', async () => {
    const [a, b] = ssh.fleet.entries as [string, string];
    const hosts = [a, 'localhost', b];
    const parent = await invokeJob(hosts, PRINT);
    expect(parent.childIds).toHaveLength(3);
    const expected = hosts.map((host, rank) => `${host}: ${host} ${rank} 3 ${parent.childIds[rank]}`);
    expect(await sortedLines(parent.id)).toEqual(expected.sort());
  });

  it("keeps fleet's values over --env values of the same name, and passes the user's others on", async () => {
    const host = ssh.fleet.entries[0] as string;
    const env = ['--env', 'FLEET_RANK=99', '--env', 'FLEET_HOST=elsewhere', '--env', 'MINE=kept'];
    const parent = await invokeJob(['localhost', host], 'echo "$FLEET_HOST $FLEET_RANK $MINE"', env);
    expect(await sortedLines(parent.id)).toEqual([`${host}: ${host} 1 kept`, 'localhost: localhost 0 kept'].sort());
  });

  it('gives a start job localhost, rank 0 of 1 and its own id, and a thread job the same in its process.env', async () => {
    const started = await ssh.env.json<JobJson>(['start', '--', PRINT]);
    expect(await sortedLines(started.id)).toEqual([`localhost 0 1 ${started.id}`]);

    const thread = await ssh.env.json<JobJson>([
      'start',
      '--thread',
      '--eval',
      'return ["FLEET_HOST", "FLEET_RANK", "FLEET_COUNT", "FLEET_JOB_ID"].map((name) => process.env[name]);',
    ]);
    await untilState(ssh.env, thread.id, ['Completed']);
    const records = parseRecords((await ssh.env.fleet(['receive', String(thread.id), '--json', '--keep'])).stdout);
    expect(records.map(({ stream, data }) => ({ stream, data }))).toEqual([
      { stream: 'output', data: ['localhost', '0', '1', String(thread.id)] },
    ]);
  });

  it('never puts them on any process argv on the host', async () => {
    const [a, b] = ssh.fleet.entries as [string, string];
    // The command names no variable itself (`F[L]EET_`), so a name in an argv is fleet's doing.
    const parent = await invokeJob(['localhost', a, b], `env | grep '^F[L]EET_' | sort | tr '\\n' ' '; echo; ${ssh.env.sleep} 300; true`);
    await until(
      async () => {
        const out = await ssh.env.fleet(['receive', String(parent.id), '--keep']);
        return out.stdout.split('\n').filter((line) => line.includes(' FLEET_RANK=')).length === 3 && out;
      },
      { what: 'every child to print its variables' },
    );
    // The wrappers and login shells of all three commands carry the marker; none carries a variable.
    // Their command lines are the ones scanned: each holds the command's own text.
    expect((await processesWith(ssh.env.marker, 'F[L]EET_')).length).toBeGreaterThanOrEqual(3);
    expect(await processesWith(ssh.env.marker, 'FLEET_')).toEqual([]);
    await ssh.env.fleet(['stop', String(parent.id)]);
    await untilState(ssh.env, parent.id, ['Stopped']);
  });
});
