import { ChildJobError, JobNotFoundError, JobStateError, RedisUnavailableError, UsageError } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { httpErrorFor } from './http-error.js';

describe('API errors', () => {
  it("are the CLI's message and hint, with the status of its exit code", () => {
    expect(httpErrorFor(new UsageError('unknown state "x"', { hint: 'one of ...' }), true)).toEqual({
      status: 400,
      body: { error: 'unknown state "x"', hint: 'one of ...' },
    });
    expect(httpErrorFor(new ChildJobError(8, 7), true).status).toBe(400);
    expect(httpErrorFor(new JobStateError('not removed: job 7 is Running', 7), true).status).toBe(409);
    expect(httpErrorFor(new RedisUnavailableError('cannot reach Redis'), true).status).toBe(503);
  });

  it('make an unknown job 404', () => {
    const error = new JobNotFoundError('99');
    expect(httpErrorFor(error, true)).toMatchObject({ status: 404, body: { error: error.message } });
  });

  it('never show the stack of an unexpected error', () => {
    expect(httpErrorFor(new Error('Connection is closed.'), false)).toMatchObject({ status: 503 });
    expect(JSON.stringify(httpErrorFor(new TypeError('x is undefined'), true))).not.toMatch(/at |TypeError/);
  });
});
