import { FleetError, JobNotFoundError } from '@fleet/core';
import { EXIT, exitCodeFor } from '../exit-codes.js';

/** What the API answers for an error: its status, and the CLI's message and hint (never a stack). */
export interface HttpError {
  status: number;
  body: { error: string; hint?: string };
}

/**
 * The HTTP form of the CLI's exit codes (SPEC §5, §10): an unknown job 404,
 * other bad input 400, a refusal 409, Redis unreachable 503. An error fleet
 * did not raise on purpose is 503 while Redis is not connected (the cause,
 * most likely), else 500 with no detail (the server's stderr has it).
 */
export function httpErrorFor(error: unknown, redisReady: boolean): HttpError {
  if (error instanceof FleetError) {
    const body = { error: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }) };
    if (error instanceof JobNotFoundError) return { status: 404, body };
    const code = exitCodeFor(error);
    return { status: code === EXIT.usage ? 400 : code === EXIT.infrastructure ? 503 : 409, body };
  }
  if (!redisReady) return { status: 503, body: { error: 'Redis is not reachable', hint: 'the server reconnects on its own; try again' } };
  return { status: 500, body: { error: 'unexpected error (see the output of fleet serve)' } };
}
