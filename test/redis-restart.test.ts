import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFleet } from './support/fleet-cli.js';
import { processesWith } from './support/fleet-env.js';
import { until } from './support/poll.js';
import { parseRecords, untilState, type JobJson } from './support/use-fleet.js';
import { tmpGate } from './support/tmp-gate.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(5);

describe('Redis restarted during a 50-host fan-out', () => {
  it('every child ends, the parent finishes, every line is there, and nothing ran twice', async () => {
    const runs = join(ssh.fleet.hosts[0]?.home as string, 'runs');
    // Each child leaves one file per run (its own session pid), waits for the gate (so that the
    // fan-out is still under way when Redis restarts, however slow the machine), then works a little.
    const gate = tmpGate(ssh.env, 'restarted');
    const command = `mkdir -p ${runs}; touch ${runs}/$$; ${gate.wait}; for i in 1 2 3; do echo "line $i"; sleep 0.3; done`;
    const hosts = Array.from({ length: 50 }, (_, index) => ssh.fleet.entries[index % 5]).join(',');
    const parent = await ssh.env.json<JobJson>(['invoke', '-c', hosts, '--throttle', '20', '--as-job', '--', command]);
    await until(async () => (await readdir(runs).catch(() => [])).length >= 10, { what: 'the fan-out to be under way' });
    // A CLI waiting through the restart reconnects by itself too.
    const waiting = runFleet(['wait', String(parent.id), '--json'], { env: ssh.env.env, timeoutMs: 120_000 });
    // Restart once it is connected and waiting (subscribed to the finish events): a CLI
    // that finds no Redis to begin with gives up at once, by design.
    await until(async () => (await processesWith(`wait\u0000${parent.id}\u0000`)).length > 0, { what: 'the waiting CLI to start' });
    const subscribers = async () => Number((await ssh.redis.client().pubsub('NUMSUB', `${ssh.env.prefix}:finished`))[1] ?? 0);
    await until(async () => (await subscribers()) > 0, { what: 'the waiting CLI to be connected', timeoutMs: 90_000 });
    await ssh.redis.restart();
    await gate.open();

    const done = await untilState(ssh.env, parent.id, ['Completed', 'Failed'], 120_000);
    const children = (await ssh.env.json<JobJson[]>(['get', String(parent.id), '--children'])).slice(1);
    expect(children).toHaveLength(50);
    expect(children.filter((child) => !['Completed', 'Failed'].includes(child.state))).toEqual([]);
    expect(done.state).toBe('Completed');
    const waited = await waiting;
    expect(waited.code).toBe(0);
    expect(JSON.parse(waited.stdout)).toMatchObject([{ id: parent.id, state: 'Completed' }]);
    expect(await readdir(runs)).toHaveLength(50);
    const records = parseRecords((await ssh.env.fleet(['receive', String(parent.id), '--json'])).stdout);
    const stdout = records.filter((record) => record.stream === 'stdout');
    expect(stdout).toHaveLength(150);
    for (const child of children) {
      expect(stdout.filter((record) => record.jobId === child.id).map((record) => record.data)).toEqual(['line 1', 'line 2', 'line 3']);
    }
  }, 300_000);
});
