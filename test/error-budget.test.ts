import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { until } from './support/poll.js';
import { untilState, useFleet, type JobJson } from './support/use-fleet.js';

const fleet = useFleet();

/** `count` local children (one per `localhost` entry), run as one fan-out. */
function localhosts(count: number): string {
  return Array.from({ length: count }, () => 'localhost').join(',');
}

async function children(parentId: number): Promise<JobJson[]> {
  return (await fleet.env.json<JobJson[]>(['get', String(parentId), '--children'])).slice(1);
}

describe('invoke --max-errors', () => {
  it('0: stops every child not yet started at the first failure, and says why', async () => {
    const result = await fleet.env.fleet(['invoke', '-c', localhosts(5), '--throttle', '1', '--max-errors', '0', '--', 'exit 4']);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(
      '0 of 5 hosts completed; failed: localhost (1): exit code 4; stopped: localhost (4): max errors exceeded',
    );
  });

  it('N: lets N children fail, stops the rest at the next failure; a running child finishes', async () => {
    const gate = join(fleet.env.home, 'gate');
    const first = join(fleet.env.home, 'first');
    // Of the two running at once, one fails at once and the other waits for the gate, then completes.
    const command = `if mkdir '${first}' 2>/dev/null; then exit 1; fi; while [ ! -e '${gate}' ]; do sleep 0.05; done # ${fleet.env.marker}`;
    const parent = await fleet.env.json<JobJson>([
      'invoke',
      '-c',
      localhosts(6),
      '--as-job',
      '--throttle',
      '2',
      '--max-errors',
      '0',
      '--',
      command,
    ]);
    await until(async () => (await children(parent.id)).filter((child) => child.state === 'Stopped').length === 4, {
      what: 'four children stopped',
    });
    const [a, b] = await children(parent.id);
    expect([a?.state, b?.state].sort()).toEqual(['Failed', 'Running']);
    await writeFile(gate, '');
    await untilState(fleet.env, parent.id, ['Failed']);
    const ended = await children(parent.id);
    expect(ended.map((child) => child.state).sort()).toEqual(['Completed', 'Failed', 'Stopped', 'Stopped', 'Stopped', 'Stopped']);
    expect(
      ended.filter((child) => child.state === 'Stopped').every((child) => child.reason === 'max errors exceeded' && child.beganAt === null),
    ).toBe(true);

    const lenient = await fleet.env.fleet(['invoke', '-c', localhosts(5), '--throttle', '1', '--max-errors', '1', '--', 'exit 4']);
    expect(lenient.stderr).toMatch(
      /0 of 5 hosts completed; failed: localhost \(2\): exit code 4; stopped: localhost \(3\): max errors exceeded$/m,
    );
  });

  it('refuses what is not a count or a percentage, before running anything', async () => {
    for (const bad of ['-1', 'many', '150%']) {
      const result = await fleet.env.fleet(['invoke', '-c', localhosts(2), '--max-errors', bad, '--', 'echo ran']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--max-errors');
    }
    expect(await fleet.env.json<JobJson[]>(['get'])).toEqual([]);
  });
});

describe('invoke --batch', () => {
  it('runs waves of N, each starting once the one before has finished', async () => {
    const gate = join(fleet.env.home, 'gate');
    const command = `while [ ! -e '${gate}' ]; do sleep 0.05; done # ${fleet.env.marker}`;
    const parent = await fleet.env.json<JobJson>(['invoke', '-c', localhosts(5), '--as-job', '--batch', '2', '--', command]);
    await until(async () => (await children(parent.id)).filter((child) => child.state === 'Running').length === 2, {
      what: 'the first wave to run',
    });
    expect((await children(parent.id)).map((child) => child.state)).toEqual([
      'Running',
      'Running',
      'NotStarted',
      'NotStarted',
      'NotStarted',
    ]);
    await writeFile(gate, '');
    await untilState(fleet.env, parent.id, ['Completed']);
    const ran = await children(parent.id);
    // Waves [1-2], [3-4], [5]: no child of a wave began before every child of the wave before had ended.
    const waves = [ran.slice(0, 2), ran.slice(2, 4), ran.slice(4)];
    for (let index = 1; index < waves.length; index += 1) {
      const previousEnd = Math.max(...(waves[index - 1] ?? []).map((child) => Date.parse(child.endedAt ?? '')));
      const began = Math.min(...(waves[index] ?? []).map((child) => Date.parse(child.beganAt ?? '')));
      expect(began).toBeGreaterThanOrEqual(previousEnd);
    }
  });

  it('goes with --max-errors: a failing wave stops the waves after it', async () => {
    const result = await fleet.env.fleet(['invoke', '-c', localhosts(6), '--batch', '50%', '--max-errors', '1', '--', 'exit 2']);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(
      '0 of 6 hosts completed; failed: localhost (3): exit code 2; stopped: localhost (3): max errors exceeded',
    );
  });
});
