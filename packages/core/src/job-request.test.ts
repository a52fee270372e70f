import { describe, expect, it } from 'vitest';
import { parseHostEntry } from './host-entry.js';
import type { CommandSpec } from './command-spec.js';
import { countOfHosts, resolveJobRequest, type JobRequestOptions } from './job-request.js';

const hosts = Array.from({ length: 50 }, (_, index) => parseHostEntry(`web${index + 1}`));
const command = { kind: 'shell', line: 'true' } as const;

describe('--max-errors and --batch', () => {
  it('take a count or a percentage of the hosts, rounded down, never below their least', () => {
    expect(countOfHosts('3', 50, '--max-errors', 0)).toBe(3);
    expect(countOfHosts(0, 50, '--max-errors', 0)).toBe(0);
    expect(countOfHosts('10%', 50, '--max-errors', 0)).toBe(5);
    expect(countOfHosts('1%', 50, '--max-errors', 0)).toBe(0);
    expect(countOfHosts('1%', 50, '--batch', 1)).toBe(1);
    expect(countOfHosts(' 25% ', 50, '--batch', 1)).toBe(12);
  });

  it('refuse anything else, saying what they take', () => {
    for (const bad of ['-1', '1.5', 'ten', '5 %', '101%', '']) {
      expect(() => countOfHosts(bad, 50, '--max-errors', 0), bad).toThrow(/--max-errors (must|cannot)/);
    }
    expect(() => countOfHosts('0', 50, '--batch', 1)).toThrow('--batch must be at least 1');
  });

  it('are resolved against the hosts of a fan-out, and refused for a local job', () => {
    expect(resolveJobRequest({ type: 'remote', command, hosts, maxErrors: '10%', batch: 20 })).toMatchObject({
      maxErrors: 5,
      waveSize: 20,
    });
    expect(resolveJobRequest({ type: 'remote', command, hosts })).toMatchObject({ maxErrors: null, waveSize: null });
    expect(() => resolveJobRequest({ type: 'process', command, maxErrors: 1 })).toThrow(/for a fan-out over hosts/);
  });
});

describe('JavaScript', () => {
  const js: CommandSpec = { kind: 'thread', source: 'eval', name: '', code: 'return 1', args: [] };

  it('runs in a thread job or in the children of a fan-out (invoke --thread), never in a process job', () => {
    expect(resolveJobRequest({ type: 'thread', command: js }).type).toBe('thread');
    expect(resolveJobRequest({ type: 'remote', command: js, hosts }).run.command).toEqual(js);
    expect(() => resolveJobRequest({ type: 'process', command: js })).toThrow('only a thread job or an invoke --thread does');
    expect(() => resolveJobRequest({ type: 'thread', command })).toThrow('a thread job runs JavaScript');
  });

  it('has no working directory, in a thread job or a fan-out', () => {
    const requests: JobRequestOptions[] = [
      { type: 'thread', command: js, workdir: '/tmp' },
      { type: 'remote', command: js, hosts, workdir: '/tmp' },
    ];
    for (const request of requests) {
      expect(() => resolveJobRequest(request)).toThrow('has no working directory of its own');
    }
  });
});
