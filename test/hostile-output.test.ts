import { describe, expect, it } from 'vitest';
import { agentPeakMiB } from './support/agents.js';
import { parseRecords, untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(2);

describe('output no one should have to trust', () => {
  it('keeps NUL bytes, turns invalid UTF-8 into U+FFFD, and corrupts nothing around binary noise', async () => {
    const host = ssh.fleet.entries[0] as string;
    const command = "printf 'a\\000b\\n\\377\\376 ok\\n'; head -c 100000 /dev/urandom; printf '\\nlast line\\n'";
    const parent = await ssh.env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', command]);
    await untilState(ssh.env, parent.id, ['Completed']);
    const records = parseRecords((await ssh.env.fleet(['receive', String(parent.id), '--json'])).stdout);
    const lines = records.map((record) => record.data as string);
    expect(lines.slice(0, 2)).toEqual(['a\u0000b', '\uFFFD\uFFFD ok']);
    expect(lines.at(-1)).toBe('last line');
    // Every record is a whole JSON string, no line longer than the 64 KiB cut.
    expect(lines.every((line) => typeof line === 'string' && Buffer.byteLength(line) <= 3 * 64 * 1024)).toBe(true);
  });

  it('holds an endless flood of short lines to the cap in bounded memory, and says what it dropped', async () => {
    const hosts = ssh.fleet.entries.join(',');
    const created = await ssh.env.fleet(['invoke', '-c', hosts, '--as-job', '--json', '--timeout', '4', '--', 'yes'], {
      env: { FLEET_MAX_OUTPUT: '256K' },
    });
    const parent = JSON.parse(created.stdout) as JobJson;
    const done = await untilState(ssh.env, parent.id, ['Failed'], 60_000);
    expect(done.reason).toBeTruthy();
    expect(await agentPeakMiB(ssh.env)).toBeLessThan(400);
    const records = parseRecords((await ssh.env.fleet(['receive', String(parent.id), '--json'])).stdout);
    for (const child of parent.childIds) {
      const mine = records.filter((record) => record.jobId === child);
      const stdout = mine.filter((record) => record.stream === 'stdout');
      // 256 KiB of "y\n": exactly as many whole lines as fit, each intact.
      expect(stdout).toHaveLength(128 * 1024);
      expect(stdout.every((record) => record.data === 'y')).toBe(true);
      const errors = mine.filter((record) => record.stream === 'error').map((record) => record.data);
      expect(errors).toHaveLength(2);
      expect(errors[0]).toMatch(/^output exceeded 256 KiB: dropped the remaining \d+(\.\d)? [KMG]iB/);
      expect(errors[1]).toBe('timed out after 4s');
    }
  });

  it('cuts one endless line into bounded pieces and keeps every byte under the cap', async () => {
    const host = ssh.fleet.entries[0] as string;
    const parent = await ssh.env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', "head -c 1000000 /dev/zero | tr '\\0' x"]);
    await untilState(ssh.env, parent.id, ['Completed']);
    const records = parseRecords((await ssh.env.fleet(['receive', String(parent.id), '--json'])).stdout);
    const pieces = records.map((record) => record.data as string);
    expect(pieces.join('')).toBe('x'.repeat(1_000_000));
    expect(Math.max(...pieces.map((piece) => piece.length))).toBe(64 * 1024);
  });
});
