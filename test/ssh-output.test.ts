import { describe, expect, it } from 'vitest';
import { agentPeakMiB } from './support/agents.js';
import { parseRecords, untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(2);

describe('large output over SSH', () => {
  it('streams 100 MB through the agent in bounded memory, keeping the cap and saying what it dropped', async () => {
    const hosts = ssh.fleet.entries.join(',');
    const parent = await ssh.env.json<JobJson>([
      'invoke',
      '-c',
      hosts,
      '--as-job',
      '--',
      'head -c 100000000 /dev/zero | base64; echo done >&2',
    ]);
    const done = await untilState(ssh.env, parent.id, ['Completed'], 120_000);
    expect(done.reason).toBeNull();
    // 100 MB of zeros is 135 MB of base64 in 76-byte lines; each host keeps the first 16 MiB.
    // Measured: ~300 MiB peak for two hosts at full speed (an idle agent is ~100 MiB); it does not
    // grow with the output, which is what this guards. See docs/design.md.
    expect(await agentPeakMiB(ssh.env)).toBeLessThan(400);
    const records = parseRecords((await ssh.env.fleet(['receive', String(parent.id), '--json'])).stdout);
    for (const child of parent.childIds) {
      const mine = records.filter((record) => record.jobId === child);
      const lines = mine.filter((record) => record.stream === 'stdout');
      expect(lines.length).toBe(Math.floor((16 * 1024 * 1024) / 77));
      expect(new Set(lines.map((record) => record.data))).toEqual(new Set(['A'.repeat(76)]));
      const errors = mine.filter((record) => record.stream === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]?.data).toMatch(/^output exceeded 16 MiB: dropped the remaining 11\d\.\d MiB/);
    }
  });

  it('keeps every line of a big output under the cap, intact and in order', async () => {
    const host = ssh.fleet.entries[0] as string;
    const parent = await ssh.env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', 'seq 1 300000']);
    await untilState(ssh.env, parent.id, ['Completed'], 60_000);
    const output = (await ssh.env.fleet(['receive', String(parent.id)])).stdout.split('\n');
    expect(output).toHaveLength(300_001);
    expect(output[0]).toBe(`${host}: 1`);
    expect(output[299_999]).toBe(`${host}: 300000`);
  });
});
