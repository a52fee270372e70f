import { AgentUnavailableError, FleetError, RedisUnavailableError, UsageError, WaitTimeoutError } from '@fleet/core';

/** SPEC §5. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  infrastructure: 3,
  timeout: 124,
  interrupted: 130,
} as const;

/**
 * The one place where an error becomes an exit code. Everything else, refusals
 * such as removing a running job included, is 1.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof RedisUnavailableError || error instanceof AgentUnavailableError) return EXIT.infrastructure;
  if (error instanceof WaitTimeoutError) return EXIT.timeout;
  return EXIT.failed;
}

/** The words printed for an error: the message, then what to do about it. */
export function describeError(error: unknown): string {
  if (error instanceof FleetError) return `fleet: ${error.message}${error.hint ? `\n  (${error.hint})` : ''}`;
  if (error instanceof Error) return `fleet: unexpected error: ${error.stack ?? error.message}`;
  return `fleet: unexpected error: ${String(error)}`;
}
