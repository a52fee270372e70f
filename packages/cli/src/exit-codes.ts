import { constants } from 'node:os';
import {
  AgentUnavailableError,
  FleetError,
  InterruptedError,
  OutputClosedError,
  RedisOutOfMemoryError,
  RedisUnavailableError,
  UsageError,
  WaitTimeoutError,
} from '@fleet/core';

/** SPEC §5. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  infrastructure: 3,
  timeout: 124,
} as const;

/**
 * The code a shell reports for a process that a signal ended, 128 + its
 * number: SIGHUP 129, SIGINT 130, SIGPIPE 141, SIGTERM 143.
 */
export function signalExit(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}

/**
 * The one place where an error becomes an exit code. Everything else, refusals
 * such as removing a running job included, is 1.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof RedisUnavailableError || error instanceof AgentUnavailableError || error instanceof RedisOutOfMemoryError) {
    return EXIT.infrastructure;
  }
  if (error instanceof WaitTimeoutError) return EXIT.timeout;
  if (error instanceof InterruptedError) return signalExit(error.signal);
  // A closed stdout ends fleet as SIGPIPE ends `seq` in `seq 100000 | head -3` (Node ignores
  // the signal itself, so it is the same code from an exit).
  if (error instanceof OutputClosedError) return signalExit('SIGPIPE');
  return EXIT.failed;
}

/**
 * The words printed for an error: the message, then what to do about it.
 * Nothing for an interruption: a signal's summary has been printed already,
 * and a closed stdout ends fleet quietly, as it ends any Unix tool.
 */
export function describeError(error: unknown): string | null {
  if (error instanceof InterruptedError || error instanceof OutputClosedError) return null;
  if (error instanceof FleetError) return `fleet: ${error.message}${error.hint ? `\n  (${error.hint})` : ''}`;
  if (error instanceof Error) return `fleet: unexpected error: ${error.stack ?? error.message}`;
  return `fleet: unexpected error: ${String(error)}`;
}
