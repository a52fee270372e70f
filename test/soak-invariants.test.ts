// The soak's judge (test/support/soak/invariants.ts), on made-up observations:
// each invariant fails when what it guards is broken.
import type { JobView } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { judgeSoak, type SoakObservations, type SoakRecord } from './support/soak/invariants.js';
import { runChildId, soakCommand, soakLineNumber } from './support/soak/workload.js';

const job = (id: number, state: JobView['state'], reason: string | null = null, parentId: number | null = 1): JobView =>
  ({ id, state, reason, parentId, location: 'h', exitCode: null }) as JobView;
const lines = (jobId: number, count: number, from = 1): SoakRecord[] =>
  Array.from({ length: count }, (_, index) => ({ jobId, stream: 'stdout', data: `soak line ${from + index} of 4` }));
const base = (): SoakObservations => ({
  lines: 4,
  parents: [job(1, 'Failed', null, null)],
  children: [job(2, 'Completed'), job(3, 'Failed', 'agent lost')],
  records: [...lines(2, 4), ...lines(3, 2), { jobId: 3, stream: 'error', data: 'agent lost' }],
  runs: new Map([
    [2, 1],
    [3, 1],
  ]),
  orphans: [],
  memory: [{ pid: 9, slot: 0, samples: Array.from({ length: 12 }, (_, index) => ({ atMs: 2000 * index, rssKiB: 100_000 })) }],
  memoryRule: { warmupMs: 0, baselineSamples: 3, minSamples: 10, maxRatio: 3 },
});
const failed = (observed: SoakObservations) =>
  judgeSoak(observed)
    .invariants.filter((invariant) => !invariant.held)
    .map((invariant) => invariant.name);

describe('the soak judge', () => {
  it('holds every invariant when all is well, and counts a lost prefix under its reason', () => {
    const verdict = judgeSoak(base());
    expect(failed(base())).toEqual([]);
    expect(verdict.lines).toEqual({ expected: 8, received: 6, dropped: new Map([['agent lost', 2]]) });
    expect(verdict.memory[0]?.ratio).toBe(1);
  });

  it('fails each invariant on what breaks it', () => {
    expect(failed({ ...base(), children: [job(2, 'Running'), job(3, 'Failed', 'agent lost')] })).toEqual(['every job ended']);
    expect(failed({ ...base(), runs: new Map([[2, 2]]) })).toEqual(['no command ran twice']);
    expect(failed({ ...base(), orphans: [{ pid: 5, cmdline: 'sleep 600' }] })).toEqual(['no orphan process']);
    // Completed with a line missing, a line twice, a gap, and a prefix with no reason.
    expect(failed({ ...base(), records: [...lines(2, 3), ...lines(3, 2)] })).toEqual(['every line accounted for']);
    expect(failed({ ...base(), records: [...lines(2, 4), ...lines(2, 1, 4), ...lines(3, 2)] })).toEqual(['every line accounted for']);
    expect(failed({ ...base(), records: [...lines(2, 4), ...lines(3, 1, 2)] })).toEqual(['every line accounted for']);
    expect(failed({ ...base(), children: [job(2, 'Completed'), job(3, 'Failed')] })).toEqual(['every line accounted for']);
    const growing = Array.from({ length: 12 }, (_, index) => ({ atMs: 2000 * index, rssKiB: 100_000 * (1 + index) }));
    expect(failed({ ...base(), memory: [{ pid: 9, slot: 0, samples: growing }] })).toEqual(['no unbounded agent memory']);
  });

  it('lets output dropped with a reason account for a Completed shortfall, and leaves a short-lived agent unjudged', () => {
    const dropped: SoakRecord = { jobId: 2, stream: 'error', data: 'output dropped: Redis out of memory' };
    expect(failed({ ...base(), records: [...lines(2, 3), dropped, ...lines(3, 2)] })).toEqual([]);
    const short = Array.from({ length: 4 }, (_, index) => ({ atMs: 2000 * index, rssKiB: 100_000 * (1 + index) }));
    const verdict = judgeSoak({ ...base(), memory: [{ pid: 9, slot: 1, samples: short }] });
    expect(verdict.memory[0]?.ratio).toBeNull();
    expect(verdict.invariants.every((invariant) => invariant.held)).toBe(true);
  });

  it('reads back the lines and run markers its command writes', () => {
    const command = soakCommand({ runsDir: '/tmp/runs', sleep: '/tmp/m-sleep', lines: 3, long: true });
    expect(command).toContain(`touch '/tmp/runs/'"$FLEET_JOB_ID.$$"`);
    expect(command.endsWith(`'/tmp/m-sleep' 600`)).toBe(true);
    expect(soakLineNumber('soak line 12 of 300')).toBe(12);
    expect(soakLineNumber('soak line 12 of 300 ')).toBeNull();
    expect(runChildId('41.12345')).toBe(41);
    expect(runChildId('notes')).toBeNull();
  });
});
