import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentPeakMiB, type AgentJson } from './support/agents.js';
import { storedBytes, storedEntries } from './support/stored-output.js';
import { parseRecords, untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(2);

describe('output no one should have to trust', () => {
  it('stores NUL bytes and invalid UTF-8 as they are, and corrupts nothing around binary noise', async () => {
    const host = ssh.fleet.entries[0] as string;
    const command = "printf 'a\\000b\\n\\377\\376 ok\\n'; head -c 100000 /dev/urandom; printf '\\nlast line\\n'";
    const parent = await ssh.env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', command]);
    await untilState(ssh.env, parent.id, ['Completed']);
    // Raw bytes, not lines, since output is stored as written (issue 14): read them as stored.
    const stored = await storedBytes(ssh.redis.client(), ssh.env.prefix, parent.id, parent.childIds[0] as number, 'stdout');
    expect(stored.subarray(0, 10)).toEqual(Buffer.from('a\0b\n\xff\xfe ok\n', 'latin1'));
    expect(stored.length).toBe(10 + 100_000 + 11);
    expect(stored.subarray(-11).toString()).toBe('\nlast line\n');
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
      expect(errors[1]).toMatch(/^timed out after 4s, and \d+(\.\d)? [KMG]iB of output past FLEET_MAX_OUTPUT \(256 KiB\) was dropped$/);
    }
  });

  it('keeps one endless line whole, stored in entries of bounded size', async () => {
    const host = ssh.fleet.entries[0] as string;
    const parent = await ssh.env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', "head -c 1000000 /dev/zero | tr '\\0' x"]);
    await untilState(ssh.env, parent.id, ['Completed']);
    // Once cut into 64 KiB lines; now stored as written (issue 14), in entries of at most 64 KiB.
    const entries = await storedEntries(ssh.redis.client(), ssh.env.prefix, parent.id);
    const stdout = entries.filter((entry) => entry.stream === 'stdout');
    expect(Buffer.concat(stdout.map((entry) => entry.data)).toString()).toBe('x'.repeat(1_000_000));
    expect(Math.max(...stdout.map((entry) => entry.data.length))).toBe(64 * 1024);
  });
  it("fails a child whose host floods stderr with no newline before fleet's wrapper starts, and its agent runs the next job (issue 16)", async () => {
    const host = ssh.fleet.entries[0] as string;
    const home = ssh.fleet.hosts[0]?.home as string;
    // The login shell reads ~/.bashrc before fleet's wrapper runs: endless stderr, no newline.
    const bashrc = join(home, '.bashrc');
    await writeFile(bashrc, "tr '\\0' x </dev/zero >&2\n");
    let agent: AgentJson | undefined;
    try {
      const parent = await ssh.env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', 'touch ran-after-the-flood']);
      await untilState(ssh.env, parent.id, ['Failed'], 60_000);
      const [child] = await ssh.env.json<JobJson[]>(['get', String(parent.childIds[0])]);
      expect(child?.reason).toMatch(
        /^the host sent \d+(\.\d)? [KM]iB of stderr with no newline for more than 64 KiB before fleet's start marker; refused as hostile or broken$/,
      );
      [agent] = await ssh.env.json<AgentJson[]>(['agents']);
      expect(await agentPeakMiB(ssh.env)).toBeLessThan(400);
    } finally {
      await rm(bashrc, { force: true });
    }
    const next = await ssh.env.fleet(['invoke', '-c', host, '--', 'echo next']);
    expect(next.stdout).toBe(`${host}: next\n`);
    // The same agent, alive, ran it; the refused command never ran.
    expect((await ssh.env.json<AgentJson[]>(['agents'])).map((alive) => alive.pid)).toEqual([agent?.pid]);
    expect(existsSync(join(home, 'ran-after-the-flood'))).toBe(false);
  });
});
