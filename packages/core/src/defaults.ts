/**
 * Every default fleet applies, in one place. Settings (`FLEET_*`) and flags
 * override the first group; the rest are tuned constants, kept here so that
 * no number that shapes behaviour hides inline in the code.
 */
export const DEFAULTS = {
  // --- What users set (flags and FLEET_* settings) ---

  /**
   * Where fleet looks for Redis when no URL is given.
   * @defaultValue `redis://127.0.0.1:6379`
   */
  redisUrl: 'redis://127.0.0.1:6379',
  /**
   * Key prefix; the braces make it a Redis Cluster hash tag so every key shares a slot.
   * @defaultValue `{fleet}`
   */
  prefix: '{fleet}',
  /**
   * At most this many children of one job run at once, across all agents.
   * @defaultValue 32
   */
  throttle: 32,
  /** @defaultValue 10 s */
  connectTimeoutMs: 10_000,
  /**
   * Per-child output cap: how much of a child's output Redis holds unreceived.
   * @defaultValue 16 MiB
   */
  maxOutputBytes: 16 * 1024 * 1024,
  /**
   * The most one push carries, all its files together: its content sits in
   * Redis (once, however many hosts) until the job is removed or expires.
   * @defaultValue 256 MiB
   */
  maxPushBytes: 256 * 1024 * 1024,
  /** FLEET_MAX_PULL_BYTES: per host, what its tar stream may carry. */
  maxPullBytes: 256 * 1024 * 1024,
  /**
   * Checked chunks of pushed or piped content an agent keeps for its other
   * children (verified-chunk-cache.ts): 64 chunks of 1 MiB.
   */
  agentChunkCacheBytes: 64 * 1024 * 1024,
  /**
   * The most of its standard input `invoke --stdin` takes (FLEET_MAX_STDIN).
   * The CLI holds it while it stores it, Redis holds it once per job until
   * the job is removed, and every host writes it to a temporary file: the
   * same 16 MiB that fleet keeps of one host's output. A key, a password, a
   * script or a small archive fits; a bigger file is `fleet push`'s.
   * @defaultValue 16 MiB
   */
  maxStdinBytes: 16 * 1024 * 1024,
  /**
   * How long finished jobs are kept.
   * @defaultValue 7 days
   */
  retentionMs: 7 * 24 * 3600 * 1000,
  /**
   * Between SIGTERM and SIGKILL when a command is stopped.
   * @defaultValue 5 s
   */
  stopGraceMs: 5_000,
  /**
   * How long an agent told to drain (SIGTERM, SIGINT, `fleet agent stop`, an
   * upgrade by `fleet deploy`) lets its running jobs finish; past it they are
   * stopped as `fleet stop` stops them and fail `agent shut down`.
   * @defaultValue 5 min
   */
  drainGraceMs: 5 * 60 * 1000,
  /**
   * After the SIGKILL that ends a stopped or timed-out remote command, how
   * long the host has to confirm it (the channel closes); past it, fleet closes
   * the channel and ends the child itself, saying the host did not confirm.
   * @defaultValue 1 s
   */
  stopConfirmMs: 1_000,
  /**
   * A detached agent started by the CLI exits after this long without work.
   * @defaultValue 5 min
   */
  agentIdleMs: 5 * 60 * 1000,
  /**
   * Jobs one agent runs at once.
   * @defaultValue 64
   */
  agentConcurrency: 64,
  /**
   * Thread jobs one agent runs at once (Start-ThreadJob's ThrottleLimit).
   * @defaultValue 5
   */
  threadLimit: 5,
  /**
   * How long after it was created a job may still start. Long enough for a
   * throttled fan-out's last wave; short enough that a signed job copied
   * back into the queue later is refused.
   * @defaultValue 24 h
   */
  signatureTtlMs: 24 * 3600 * 1000,
  /**
   * How long a CLI waits for Redis to answer before giving up.
   * @defaultValue 3 s
   */
  redisConnectTimeoutMs: 3_000,

  // --- Agents ---

  /**
   * How often an agent says it is alive (and reaps lost agents' jobs).
   * @defaultValue 2 s
   */
  heartbeatIntervalMs: 2_000,
  /**
   * How long an agent counts as alive after its last heartbeat.
   * @defaultValue 10 s
   */
  heartbeatTtlMs: 10_000,
  /**
   * A job noted for dispatch but still not handed to BullMQ after this long
   * (its dispatcher died in between) is dispatched again by the reaper.
   * @defaultValue 10 s
   */
  redispatchAfterMs: 10_000,
  /**
   * How soon BullMQ hands out again a job whose agent died before finishing
   * it (BullMQ's own default is 30 s).
   * @defaultValue 10 s
   */
  queueStalledIntervalMs: 10_000,
  /**
   * An agent told to stop waits this long, past the stop grace its commands
   * get, for Redis to record its jobs' end and its own; then it exits all the
   * same (a job whose end was not recorded is failed `agent lost` by another
   * agent once Redis answers). So an agent exits within `stopGraceMs` +
   * `agentCloseMs` + `agentCloseStepMs`, Redis or not.
   * @defaultValue 5 s
   */
  agentCloseMs: 5_000,
  /**
   * Each step of an agent's exit that needs no Redis answer (closing its
   * connections and thread pool) gets at most this long.
   * @defaultValue 1 s
   */
  agentCloseStepMs: 1_000,
  /**
   * While Redis stays unreachable, an agent logs one line when it goes, one
   * when it is back, and a reminder at most this often in between.
   * @defaultValue 60 s
   */
  agentErrorReminderMs: 60_000,
  /**
   * Worker threads an agent keeps warm for thread jobs: enough for a burst's first jobs.
   * @defaultValue 2
   */
  warmThreadWorkers: 2,
  /**
   * How often an agent looks for a change in its trusted-keys file.
   * @defaultValue 1 s
   */
  trustReloadIntervalMs: 1_000,

  /**
   * How often the agent writes a heartbeat byte on each running remote
   * command's input, for the host's orphan watcher (`ORPHAN_WATCH`).
   * @defaultValue 5 s
   */
  orphanHeartbeatMs: 5_000,
  /**
   * A remote command whose input has carried no heartbeat for a while (the
   * agent died or the host was cut off from it, with no word reaching sshd)
   * is ended by its watcher. That while is per connection, from its
   * keepalive (see `orphanSilenceMs`), so that the agent has failed the child
   * first; this is the margin on top.
   * @defaultValue 2 s
   */
  orphanSilenceMarginMs: 2_000,

  // --- SSH connections (the agent's pool) ---

  /**
   * Channels per connection; below sshd's MaxSessions (10) so that a kill channel always fits.
   * @defaultValue 8
   */
  sshMaxSessions: 8,
  /**
   * Channels forwarded through one jump host connection to the hosts behind
   * it. sshd's MaxSessions counts shells, commands and subsystems, not
   * forwarded channels, so these are a budget of their own: a throttled
   * fan-out of 32 crosses the bastion on one connection.
   * @defaultValue 32
   */
  sshMaxForwards: 32,
  /**
   * Handshakes in flight per sshd; below MaxStartups' 10.
   * @defaultValue 6
   */
  sshMaxHandshakes: 6,
  /**
   * Tries at a handshake that sshd drops before it starts (MaxStartups), spread out with jitter.
   * @defaultValue 6
   */
  sshHandshakeAttempts: 6,
  /**
   * A connection with no channel open is closed after this long, once the
   * pool as a whole holds no channel either (see `sshWarmConnections`).
   * @defaultValue 30 s
   */
  sshIdleMs: 30_000,
  /**
   * While a command runs on any connection of the pool (a fan-out under way), idle
   * connections are kept past `sshIdleMs`, up to this many open in all: the
   * hosts a long fan-out reached first are still warm for the next command.
   * @defaultValue 1,000
   */
  sshWarmConnections: 1_000,
  /**
   * Keepalives on every connection; `sshKeepaliveCountMax` missed replies end it.
   * @defaultValue 5 s
   */
  sshKeepaliveIntervalMs: 5_000,
  /** @defaultValue 3 */
  sshKeepaliveCountMax: 3,

  // --- Output ---

  /**
   * An agent sends a job's output once this many records are buffered.
   * @defaultValue 500
   */
  outputBatchRecords: 500,
  /**
   * Above this many bytes buffered for one job, the command's output is paused (back-pressure).
   * @defaultValue 1 MiB
   */
  outputHighWaterBytes: 1024 * 1024,
  /**
   * Consecutive chunks of a stream share one stored entry up to this size.
   * @defaultValue 64 KiB
   */
  outputPackedBytes: 64 * 1024,
  /**
   * What an SSH executor holds of a command's streams before fleet's wrapper
   * says the command starts: the login shell's lines (past this, passed on as
   * output), and one line of stderr not yet ended (past this, the host is
   * refused as hostile or broken). The wrapper's own lines are under 200
   * bytes; a login shell's lines are a terminal's width.
   * @defaultValue 64 KiB
   */
  preambleMaxBytes: 64 * 1024,
  /**
   * A reader following a job's output says so for this long, and says it
   * again well before it runs out; an agent at the cap waits for such a
   * reader instead of dropping, and drops once the word runs out (the reader died).
   * @defaultValue 5 s
   */
  outputFollowTtlMs: 5_000,
  /**
   * An agent waiting at the cap for a reader to take output looks again
   * after this long, doubling up to `outputRoomPollMaxMs`.
   * @defaultValue 10 ms
   */
  outputRoomPollMs: 10,
  /** @defaultValue 200 ms */
  outputRoomPollMaxMs: 200,
  /**
   * Output is sent at the latest this long after it was written.
   * @defaultValue 5 ms
   */
  outputFlushDelayMs: 5,
  /**
   * Stream entries a reader takes a page at a time (each up to `outputPackedBytes`).
   * @defaultValue 32
   */
  outputPageEntries: 32,
  /**
   * How many job events the prefix's event stream keeps (`XADD ... MAXLEN ~`):
   * what `GET /api/events` and `fleet events` can resume from. A constant, not
   * a FLEET_* setting: every writer (agents on nodes too) trims the one stream,
   * and writers that disagreed would trim it to the smallest. Two events a
   * child (start, end), so about 50,000 children of history.
   * @defaultValue 100,000
   */
  eventStreamLength: 100_000,
  /**
   * A live event stream that has had nothing to send for this long sends a
   * heartbeat (an SSE comment), so that proxies and clients see it alive.
   * @defaultValue 15 s
   */
  eventHeartbeatMs: 15_000,

  // --- Dispatch, and agents the CLI starts or deploys ---

  /**
   * How long the list of node agents is reused between dispatches.
   * @defaultValue 1 s
   */
  nodeAgentsCacheMs: 1_000,
  /**
   * How long a process reuses the registry of shards (`{p}:shards`, issue
   * 21) before it reads it again: `fleet serve` meets shards registered
   * after its start within this (an agent reads it on every beat).
   * @defaultValue 2 s
   */
  shardRegistryTtlMs: 2_000,
  /**
   * How long one CLI holds the right to start the local agent.
   * @defaultValue 20 s
   */
  agentSpawnLockMs: 20_000,
  /**
   * How long a CLI waits for the agent it (or another CLI) started to report in.
   * @defaultValue 15 s
   */
  agentSpawnWaitMs: 15_000,
  /**
   * How long `deploy` waits for a node's new agent to report in.
   * @defaultValue 20 s
   */
  deployReportWaitMs: 20_000,
  /**
   * How long `deploy` waits for an agent it asked to drain (a control message) to say it drains,
   * before it sends SIGTERM instead: the agent beats at once when it drains.
   * @defaultValue 5 s
   */
  drainAnswerWaitMs: 5_000,
  /**
   * How long `undeploy` waits for a node's agent to stop reporting in.
   * @defaultValue 15 s
   */
  undeployWaitMs: 15_000,
  /**
   * How often `deploy` and `undeploy` look at the agents while they wait.
   * @defaultValue 200 ms
   */
  agentPollMs: 200,
  /**
   * How long the CLI waits for the embedded redis-server to answer once started.
   * @defaultValue 15 s
   */
  embeddedRedisStartMs: 15_000,
} as const;
