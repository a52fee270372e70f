import { UsageError } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { jobRequestArgs } from './job-request-body.js';

describe('the body of POST /api/jobs', () => {
  it("maps onto invoke --as-job's flags when it names hosts", () => {
    const asked = jobRequestArgs({ hosts: 'web[1-3]', exclude: 'web2', command: ['uptime'], throttle: 2, maxErrors: '10%', env: 'A=1' });
    expect(asked.kind).toBe('invoke');
    expect(asked.args).toMatchObject({
      'computer-name': ['web[1-3]'],
      exclude: ['web2'],
      '--': ['uptime'],
      throttle: 2,
      'max-errors': '10%',
      env: ['A=1'],
      'as-job': true,
    });
  });

  it("maps onto start's flags without hosts, and refuses a fan-out's flags there", () => {
    expect(jobRequestArgs({ command: ['sleep', '1'], name: 'nap' })).toMatchObject({
      kind: 'start',
      args: { '--': ['sleep', '1'], name: 'nap' },
    });
    expect(() => jobRequestArgs({ command: ['x'], throttle: 2 })).toThrow(/throttle goes with hosts/);
  });

  it('refuses what is not a body of known fields of the right types', () => {
    for (const body of [null, [], 'x', { command: 'x', script: '/etc/passwd' }, { command: [1] }, { command: ['x'], throttle: '2' }]) {
      expect(() => jobRequestArgs(body), JSON.stringify(body)).toThrow(UsageError);
    }
  });

  it("refuses an object's inherited members as fields", () => {
    for (const text of [
      '{"constructor": 1}',
      '{"toString": "x"}',
      '{"__proto__": {"command": ["x"]}, "command": ["y"]}',
      '{"hasOwnProperty": []}',
    ]) {
      expect(() => jobRequestArgs(JSON.parse(text)), text).toThrow(/unknown field/);
    }
  });
});
