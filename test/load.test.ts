import { describe, expect, it } from 'vitest';
import { processesWith } from './support/fleet-env.js';
import { until } from './support/poll.js';
import { parseRecords, untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

// A hundred handshakes at once, beside another test file on 2 cores, can take
// longer than the 5 s the other files allow; what is tested here is stop and
// output under load, not connection speed.
const ssh = useSshFleet(100, { connectTimeoutSeconds: 30 });

describe('under load', () => {
  it('stop of a 100-host job leaves no process on any host', async () => {
    const parent = await ssh.env.json<JobJson>([
      'invoke',
      '-f',
      ssh.fleet.computersFile,
      '--throttle',
      '100',
      '--as-job',
      '--',
      `echo up; ${ssh.env.sleep} 300 & ${ssh.env.sleep} 300`,
    ]);
    const children = async () => (await ssh.env.json<JobJson[]>(['get', String(parent.id), '--children'])).slice(1);
    // One agent runs 64 at once; the rest wait their turn.
    await until(async () => (await children()).filter((child) => child.hasMoreData).length >= 60, {
      timeoutMs: 60_000,
      what: '60 hosts running',
    });
    expect((await ssh.env.fleet(['stop', String(parent.id)], { timeoutMs: 90_000 })).code).toBe(0);
    const after = await children();
    expect(after).toHaveLength(100);
    expect(after.filter((child) => child.state !== 'Stopped')).toEqual([]);
    expect(await processesWith(ssh.env.marker)).toEqual([]);
  });

  it('20 fan-outs at once all complete, with every line accounted for', async () => {
    // Ten hosts each, overlapping: hosts 0-9, 5-14, ..., 95-99 and 0-4.
    const hostsOf = (n: number) => Array.from({ length: 10 }, (_, i) => ssh.fleet.entries[(n * 5 + i) % 100]).join(',');
    const started = await Promise.all(
      Array.from({ length: 20 }, (_, n) => ssh.env.json<JobJson>(['invoke', '-c', hostsOf(n), '--as-job', '--', 'seq 1 50'])),
    );
    let lines = 0;
    for (const job of started) {
      expect((await untilState(ssh.env, job.id, ['Completed', 'Failed'], 120_000)).state).toBe('Completed');
      const records = parseRecords((await ssh.env.fleet(['receive', String(job.id), '--json'])).stdout);
      for (const child of job.childIds) {
        expect(records.filter((record) => record.jobId === child).map((record) => record.data)).toEqual(
          Array.from({ length: 50 }, (_, i) => String(i + 1)),
        );
      }
      lines += records.length;
    }
    expect(lines).toBe(20 * 10 * 50);
    // 200 children over 100 sshds, then 20 receives: minutes on a loaded 2-core CI machine.
  }, 600_000);
});
