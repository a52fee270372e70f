/** Every default fleet applies, in one place. */
export const DEFAULTS = {
  /** Where fleet looks for Redis when no URL is given. */
  redisUrl: 'redis://127.0.0.1:6379',
  /** Key prefix; the braces make it a Redis Cluster hash tag so every key shares a slot. */
  prefix: '{fleet}',
  /** At most this many children of one job run at once, across all agents. */
  throttle: 32,
  connectTimeoutMs: 10_000,
  /** Per-child output cap. */
  maxOutputBytes: 16 * 1024 * 1024,
  /** How long finished jobs are kept. */
  retentionMs: 7 * 24 * 3600 * 1000,
  /** Between SIGTERM and SIGKILL when a command is stopped. */
  stopGraceMs: 5_000,
  /** A detached agent started by the CLI exits after this long without work. */
  agentIdleMs: 5 * 60 * 1000,
  /** Jobs one agent runs at once. */
  agentConcurrency: 64,
  /** Thread jobs one agent runs at once (Start-ThreadJob's ThrottleLimit). */
  threadLimit: 5,
  /** How often an agent says it is alive, and how long it counts as alive after. */
  heartbeatIntervalMs: 2_000,
  heartbeatTtlMs: 10_000,
  /**
   * A job noted for dispatch but still not handed to BullMQ after this long
   * (its dispatcher died in between) is dispatched again by the reaper.
   */
  redispatchAfterMs: 10_000,
  /**
   * How long after it was created a job may still start. Long enough for a
   * throttled fan-out's last wave; short enough that a signed job copied
   * back into the queue later is refused.
   */
  signatureTtlMs: 24 * 3600 * 1000,
  /** How long a CLI waits for Redis to answer before giving up. */
  redisConnectTimeoutMs: 3_000,
} as const;
