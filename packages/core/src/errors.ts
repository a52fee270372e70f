/**
 * Typed errors. Library code throws these; only the CLI entry decides what is
 * printed and which exit code a kind of error maps to.
 */

/** Base of every error fleet raises on purpose. */
export class FleetError extends Error {
  override name = 'FleetError';
  /** What the user can do about it, printed after the message. */
  readonly hint: string | undefined;
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
  }
}

/** Bad input: an unknown flag, a malformed value, a missing file. */
export class UsageError extends FleetError {
  override name = 'UsageError';
}

/** A host entry that is not a host name or address. */
export class HostEntryError extends UsageError {
  override name = 'HostEntryError';
  constructor(
    readonly source: string,
    readonly line: number,
    readonly entry: string,
    readonly problem: string,
  ) {
    super(`${source}:${line}: bad host entry ${JSON.stringify(entry)}: ${problem}`, {
      hint: 'an entry is [user@]host[:port] or [user@][v6addr]:port; nothing was run',
    });
  }
}

/** A job id or name that matches no job. */
export class JobNotFoundError extends UsageError {
  override name = 'JobNotFoundError';
  constructor(readonly selector: string) {
    super(`no job with ${/^\d+$/.test(selector) ? 'id' : 'name'} ${selector}`, {
      hint: "'fleet get' lists the jobs there are",
    });
  }
}

/** A child job addressed where only its parent may be. */
export class ChildJobError extends UsageError {
  override name = 'ChildJobError';
  constructor(
    readonly jobId: number,
    readonly parentId: number,
  ) {
    super(`job ${jobId} is a child of job ${parentId} and cannot be removed on its own`, {
      hint: `remove job ${parentId} instead`,
    });
  }
}

/** An operation refused because of a job's state (for example removing a running job). */
export class JobStateError extends FleetError {
  override name = 'JobStateError';
  constructor(
    message: string,
    readonly jobId: number,
    options: { hint?: string } = {},
  ) {
    super(message, options);
  }
}

/** Redis could not be reached or started. */
export class RedisUnavailableError extends FleetError {
  override name = 'RedisUnavailableError';
}

/** No agent was alive and none could be started. */
export class AgentUnavailableError extends FleetError {
  override name = 'AgentUnavailableError';
}

/** `wait --timeout` ran out before the jobs finished. */
export class WaitTimeoutError extends FleetError {
  override name = 'WaitTimeoutError';
  constructor(
    readonly seconds: number,
    readonly pendingIds: readonly number[],
  ) {
    super(`timed out after ${seconds}s; still running: ${pendingIds.map((id) => `job ${id}`).join(', ')}`, {
      hint: 'the jobs keep running; wait again or stop them',
    });
  }
}
