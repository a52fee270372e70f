import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RAN_RECORD_GRACE_MS, ranRecordName } from '@fleet/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RanDirectory } from './ran-memory.js';

let dir: string;
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'fleet-ran-')), 'ran');
});
afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

const run = (digest: string, expiresAt = 5_000_000, agentId = 'a1') => ({ expiresAt, digest, jobId: 7, agentId });

describe('the ran-job directory', () => {
  it('lets a signed job run once, across instances, and says who ran it first', async () => {
    const first = await RanDirectory.open({ dir, now: () => 1_000 });
    expect(await first.remember(run('a'.repeat(64)))).toEqual({ first: true });
    // Another agent on the same state directory, or this one restarted.
    const second = await RanDirectory.open({ dir, now: () => 2_000 });
    expect(await second.remember(run('a'.repeat(64), 5_000_000, 'a2'))).toEqual({
      first: false,
      prior: { agentId: 'a1', jobId: 7, at: new Date(1_000).toISOString() },
    });
    expect(await second.remember(run('b'.repeat(64)))).toEqual({ first: true });
  });

  it('lets exactly one of many racing agents run a job', async () => {
    const agents = await Promise.all([1, 2, 3, 4].map(() => RanDirectory.open({ dir })));
    const verdicts = await Promise.all(agents.map((agent, index) => agent.remember(run('c'.repeat(64), 5_000_000, `a${index}`))));
    expect(verdicts.filter((verdict) => verdict.first)).toHaveLength(1);
  });

  it('forgets jobs whose signature has expired, at open and now and then, and nothing else', async () => {
    const old = ranRecordName(1_000, 'd'.repeat(64));
    const live = ranRecordName(10_000_000, 'e'.repeat(64));
    await RanDirectory.open({ dir });
    await writeFile(join(dir, old), '');
    await writeFile(join(dir, live), '');
    await writeFile(join(dir, 'README'), '');
    let now = 500;
    const memory = await RanDirectory.open({ dir, now: () => now, pruneIntervalMs: 1_000 });
    expect((await readdir(dir)).sort()).toEqual([old, live, 'README'].sort());
    now = 1_000 + RAN_RECORD_GRACE_MS + 1;
    await memory.remember(run('f'.repeat(64), 10_000_000));
    await memory.settled();
    expect((await readdir(dir)).sort()).toEqual([live, ranRecordName(10_000_000, 'f'.repeat(64)), 'README'].sort());
  });
});
