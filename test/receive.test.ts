import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFleetEnv } from './support/fleet-env.js';
import { until } from './support/poll.js';
import { parseRecords, untilState, useFleet, type JobJson } from './support/use-fleet.js';

const fleet = useFleet();

/** A job that writes `first`, waits for a file to appear, then writes `second`. */
async function twoPhaseJob(name = 'go'): Promise<{ job: JobJson; release: () => Promise<void> }> {
  const gate = join(fleet.env.home, name);
  const job = await fleet.env.json<JobJson>([
    'start',
    '--',
    `echo first; while [ ! -e '${gate}' ]; do sleep 0.05; done; echo second # ${fleet.env.marker}`,
  ]);
  return { job, release: () => writeFile(gate, '') };
}

describe('fleet receive', () => {
  it('prints only what came after the previous receive', async () => {
    const { job, release } = await twoPhaseJob();
    const id = String(job.id);
    await until(async () => (await fleet.env.json<JobJson[]>(['get', id]))[0]?.hasMoreData, { what: 'first line' });
    expect((await fleet.env.fleet(['receive', id])).stdout).toBe('first\n');
    expect((await fleet.env.json<JobJson[]>(['get', id]))[0]?.hasMoreData).toBe(false);
    await release();
    await untilState(fleet.env, job.id, ['Completed']);
    expect((await fleet.env.json<JobJson[]>(['get', id]))[0]?.hasMoreData).toBe(true);
    expect((await fleet.env.fleet(['receive', id])).stdout).toBe('second\n');
    expect((await fleet.env.fleet(['receive', id])).stdout).toBe('');
    expect((await fleet.env.json<JobJson[]>(['get', id]))[0]?.hasMoreData).toBe(false);
  });

  it('stores many lines in few entries and gives every one back as its own record, in order', async () => {
    const job = await fleet.env.json<JobJson>(['start', '--', "seq 1 20000; echo '' ; printf 'last'"]);
    await untilState(fleet.env, job.id, ['Completed']);
    // Packed: 20,002 lines of about 100 KiB take a few stream entries, not one each.
    expect(await fleet.redis.client().xlen(`${fleet.env.prefix}:out:${job.id}`)).toBeLessThan(50);
    const json = await fleet.env.fleet(['receive', String(job.id), '--json', '--keep']);
    const lines = parseRecords(json.stdout).map((record) => record.data);
    expect(lines).toEqual([...Array.from({ length: 20000 }, (_, index) => String(index + 1)), '', 'last']);
    // Unlabelled text is the bytes as written (SPEC §11): the last line had no newline, and gets none.
    const text = await fleet.env.fleet(['receive', String(job.id)]);
    expect(text.stdout).toBe(lines.join('\n'));
    expect((await fleet.env.json<JobJson[]>(['get', String(job.id)]))[0]?.hasMoreData).toBe(false);
  });

  it('keeps everything with --keep', async () => {
    const job = await fleet.env.json<JobJson>(['start', '--', 'echo a; echo b']);
    await untilState(fleet.env, job.id, ['Completed']);
    expect((await fleet.env.fleet(['receive', String(job.id), '--keep'])).stdout).toBe('a\nb\n');
    expect((await fleet.env.json<JobJson[]>(['get', String(job.id)]))[0]?.hasMoreData).toBe(true);
    expect((await fleet.env.fleet(['receive', String(job.id)])).stdout).toBe('a\nb\n');
    expect((await fleet.env.json<JobJson[]>(['get', String(job.id)]))[0]?.hasMoreData).toBe(false);
  });

  it('keeps stdout and stderr apart, and records why a job failed', async () => {
    const job = await fleet.env.json<JobJson>(['start', '--', 'echo out; echo err >&2; exit 3']);
    await untilState(fleet.env, job.id, ['Failed']);
    const text = await fleet.env.fleet(['receive', String(job.id), '--keep']);
    expect(text.stdout).toBe('out\n');
    expect(text.stderr).toBe('err\nerror: exit code 3\n');
    expect(text.code).toBe(1);
    const json = await fleet.env.fleet(['receive', String(job.id), '--json']);
    const records = parseRecords(json.stdout).map(({ jobId, host, stream, data }) => ({ jobId, host, stream, data }));
    expect(records).toContainEqual({ jobId: job.id, host: 'localhost', stream: 'stdout', data: 'out' });
    expect(records).toContainEqual({ jobId: job.id, host: 'localhost', stream: 'stderr', data: 'err' });
    expect(records.at(-1)).toEqual({ jobId: job.id, host: 'localhost', stream: 'error', data: 'exit code 3' });
    expect(records.filter((record) => record.stream === 'error')).toHaveLength(1);
  });

  it('follows a job to its end with --wait, then removes it with --auto-remove', async () => {
    const { job, release } = await twoPhaseJob();
    const follower = fleet.env.spawn(['receive', String(job.id), '--wait', '--auto-remove']);
    let printed = '';
    follower.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => follower.on('close', resolve));
    await until(() => printed === 'first\n', { what: 'the first line while the job runs' });
    await release();
    expect(await exited).toBe(0);
    expect(printed).toBe('first\nsecond\n');
    expect((await fleet.env.fleet(['get', String(job.id)])).code).toBe(2);
  });

  it('gathers every child of a parent, and one host with --host', async () => {
    const parent = await fleet.env.json<JobJson>(['invoke', '-c', 'localhost,localhost', '--as-job', '--', 'echo hi']);
    await untilState(fleet.env, parent.id, ['Completed']);
    const records = parseRecords((await fleet.env.fleet(['receive', String(parent.id), '--keep', '--json'])).stdout);
    expect(records.map((record) => [record.jobId, record.data]).sort()).toEqual([
      [parent.id + 1, 'hi'],
      [parent.id + 2, 'hi'],
    ]);
    expect((await fleet.env.fleet(['receive', String(parent.id), '--keep'])).stdout).toBe('localhost: hi\nlocalhost: hi\n');
    expect((await fleet.env.fleet(['receive', String(parent.id), '--keep', '--host', 'elsewhere'])).stdout).toBe('');
    expect((await fleet.env.fleet(['receive', String(parent.id), '--no-recurse'])).stdout).toBe('');
    // Receiving one child leaves its sibling's output, and the parent still has more data.
    expect((await fleet.env.fleet(['receive', String(parent.id + 1)])).stdout).toBe('localhost: hi\n');
    const after = await fleet.env.json<JobJson[]>(['get', String(parent.id), '--children']);
    expect(after.map((job) => job.hasMoreData)).toEqual([true, false, true]);
    expect((await fleet.env.fleet(['receive', String(parent.id)])).stdout).toBe('localhost: hi\n');
    expect((await fleet.env.json<JobJson[]>(['get', String(parent.id)]))[0]?.hasMoreData).toBe(false);
  });

  it('caps what nobody receives, runs the command to its end, says how much it dropped, and fails the job for it', async () => {
    const capped = await createFleetEnv(fleet.redis, { FLEET_MAX_OUTPUT: '1K' });
    try {
      // 8 bytes a line: 128 lines fill 1 KiB; the rest, stderr included, is dropped.
      const job = await capped.json<JobJson>(['start', '--', 'seq 1000000 1000999; echo finished >&2']);
      const ended = await untilState(capped, job.id, ['Completed', 'Failed']);
      // Dropped output is a failure, even after exit 0: a dump cut short must not read as a success.
      expect(ended).toMatchObject({
        state: 'Failed',
        exitCode: 0,
        reason: 'exit code 0, but 6.8 KiB of output past FLEET_MAX_OUTPUT (1 KiB) was dropped',
      });
      const received = await capped.fleet(['receive', String(job.id), '--json']);
      expect(received.code).toBe(1);
      const records = parseRecords(received.stdout);
      const stdout = records.filter((record) => record.stream === 'stdout');
      expect(stdout.map((record) => record.data)).toEqual(Array.from({ length: 128 }, (_, i) => String(1_000_000 + i)));
      expect(records.filter((record) => record.stream === 'stderr')).toHaveLength(0);
      const errors = records.filter((record) => record.stream === 'error').map((record) => record.data);
      expect(errors).toEqual([expect.stringMatching(/^output exceeded 1 KiB: dropped the remaining 6\.8 KiB/), ended.reason]);
    } finally {
      await capped.cleanup();
    }
  });

  it('streams a large output through intact', async () => {
    const job = await fleet.env.json<JobJson>(['start', '--', 'seq 1 200000']);
    await untilState(fleet.env, job.id, ['Completed']);
    const result = await fleet.env.fleet(['receive', String(job.id)]);
    const lines = result.stdout.split('\n');
    expect(lines).toHaveLength(200_001);
    expect(lines[0]).toBe('1');
    expect(lines[199_999]).toBe('200000');
  });
});
