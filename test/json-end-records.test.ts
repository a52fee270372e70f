import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileGate } from './support/gate.js';
import { until } from './support/poll.js';
import { invokeAsJob, parseAllRecords, untilState, useFleet, type JobJson, type RecordJson } from './support/use-fleet.js';

const fleet = useFleet();

/** A record without its time, to compare. */
const shape = ({ ts: _, ...record }: RecordJson) => record;

describe('--json end records', () => {
  it('follow each host’s last record in a synchronous invoke, with its state, exit code and reason', async () => {
    const result = await fleet.env.fleet(['invoke', '-c', 'localhost,localhost', '--json', '--', 'echo out; echo err >&2; exit 3']);
    expect(result.code).toBe(1);
    const records = parseAllRecords(result.stdout);
    const children = [...new Set(records.map((record) => record.jobId))];
    expect(children).toHaveLength(2);
    for (const child of children) {
      const mine = records.filter((record) => record.jobId === child).map(shape);
      expect(mine.slice(-2)).toEqual([
        { jobId: child, host: 'localhost', stream: 'error', data: 'exit code 3' },
        { jobId: child, host: 'localhost', stream: 'end', data: { state: 'Failed', exitCode: 3, reason: 'exit code 3' } },
      ]);
      expect(mine.slice(0, -2)).toEqual(
        expect.arrayContaining([
          { jobId: child, host: 'localhost', stream: 'stdout', data: 'out' },
          { jobId: child, host: 'localhost', stream: 'stderr', data: 'err' },
        ]),
      );
    }
  });

  it('come with receive --json for each finished host, again on a later receive, which has nothing else left', async () => {
    const parent = await invokeAsJob(fleet.env, 'localhost,localhost', 'echo hi');
    await untilState(fleet.env, parent.id, ['Completed']);
    const ends = parent.childIds.map((child) => ({
      jobId: child,
      host: 'localhost',
      stream: 'end',
      data: { state: 'Completed', exitCode: 0, reason: null },
    }));
    const first = parseAllRecords((await fleet.env.fleet(['receive', String(parent.id), '--json'])).stdout).map(shape);
    expect(first.filter((record) => record.stream === 'stdout')).toHaveLength(2);
    expect(first.filter((record) => record.stream === 'end')).toEqual(ends);
    const again = await fleet.env.fleet(['receive', String(parent.id), '--json']);
    expect(parseAllRecords(again.stdout).map(shape)).toEqual(ends);
    const one = await fleet.env.fleet(['receive', String(parent.childIds[1]), '--json']);
    expect(parseAllRecords(one.stdout).map(shape)).toEqual([ends[1]]);
    // --no-recurse takes the parent's own output (none): its end is the parent's, rolled up.
    const own = await fleet.env.fleet(['receive', String(parent.id), '--no-recurse', '--json']);
    expect(parseAllRecords(own.stdout).map(shape)).toEqual([
      { jobId: parent.id, host: 'localhost,localhost', stream: 'end', data: expect.objectContaining({ state: 'Completed' }) },
    ]);
    // Text has no end records.
    expect((await fleet.env.fleet(['receive', String(parent.id)])).stdout).toBe('');
  });

  it('come as each host finishes, while others still run', async () => {
    const lock = join(fleet.env.home, 'lock');
    const gate = fileGate(fleet.env);
    // The first child to take the lock finishes at once; the other waits for the gate.
    const parent = await invokeAsJob(
      fleet.env,
      'localhost,localhost',
      `if mkdir '${lock}' 2>/dev/null; then echo quick; else ${gate.wait}; echo slow; fi # ${fleet.env.marker}`,
    );
    const follower = fleet.env.spawn(['receive', String(parent.id), '--wait', '--json']);
    let printed = '';
    follower.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => follower.on('close', resolve));
    const early = await until(
      () => {
        const records = parseAllRecords(printed.slice(0, printed.lastIndexOf('\n') + 1));
        return records.some((record) => record.stream === 'end') ? records : undefined;
      },
      { what: 'the end record of the quick host' },
    );
    expect(early.map((record) => [record.stream, record.data])).toEqual([
      ['stdout', 'quick'],
      ['end', { state: 'Completed', exitCode: 0, reason: null }],
    ]);
    await gate.open();
    expect(await exited).toBe(0);
    expect(parseAllRecords(printed).map((record) => [record.stream, record.data])).toEqual([
      ['stdout', 'quick'],
      ['end', { state: 'Completed', exitCode: 0, reason: null }],
      ['stdout', 'slow'],
      ['end', { state: 'Completed', exitCode: 0, reason: null }],
    ]);
  });

  it('end a start job’s records too, and a stopped job’s', async () => {
    const job = await fleet.env.json<JobJson>(['start', '--', `echo begun; ${fleet.env.sleep} 300`]);
    await until(async () => (await fleet.env.json<JobJson[]>(['get', String(job.id)]))[0]?.hasMoreData, { what: 'the first line' });
    expect((await fleet.env.fleet(['stop', String(job.id)])).code).toBe(0);
    const records = parseAllRecords((await fleet.env.fleet(['receive', String(job.id), '--json'])).stdout).map(shape);
    expect(records[0]).toEqual({ jobId: job.id, host: 'localhost', stream: 'stdout', data: 'begun' });
    expect(records.at(-1)).toEqual({
      jobId: job.id,
      host: 'localhost',
      stream: 'end',
      data: expect.objectContaining({ state: 'Stopped', reason: expect.any(String) }),
    });
  });
});
