import type { JobState, SshConnectFailure } from '@fleet/core';

/**
 * What an SSH pool tells whoever watches it (`fleet agent --metrics`). Every
 * call is synchronous and cheap: it runs on the connection's own path.
 */
export interface SshPoolObserver {
  /** A new connection is up (handshake and authentication done). */
  connectionOpened(): void;
  /** A new connection could not be made, or a pooled one is refused by known_hosts now: once per connection. */
  connectionFailed(reason: SshConnectFailure): void;
  /** A lease was given a connection another lease had opened (or was opening) instead of a new one. */
  connectionReused(): void;
}

/** What a job runner tells whoever watches it. Leaves only: a parent job never runs on an agent. */
export interface JobObserver {
  /** A leaf was claimed here, `waitedMs` after it was handed to the queue (by the dispatcher's clock). */
  childStarted(waitedMs: number): void;
  /** A claimed leaf ended here, however it ended (a refused signature is a Failed one). */
  childFinished(state: JobState): void;
  /** A command ran (and ended) in an executor, taking this long, connection included. */
  commandRan(durationMs: number): void;
  /** A command wrote this many bytes of output, as they came (before any cap). */
  outputBytes(stream: 'stdout' | 'stderr', bytes: number): void;
  /** A push or pull moved this many bytes, as its progress line counts them. */
  transferBytes(bytes: number): void;
}

/** Everything an agent tells its metrics. */
export interface AgentObserver extends JobObserver, SshPoolObserver {}

/** The observer of an agent started without metrics. */
export const UNOBSERVED: AgentObserver = {
  connectionOpened: () => {},
  connectionFailed: () => {},
  connectionReused: () => {},
  childStarted: () => {},
  childFinished: () => {},
  commandRan: () => {},
  outputBytes: () => {},
  transferBytes: () => {},
};

/** What an agent is doing now, read when metrics are scraped. */
export interface AgentStats {
  /** Leaves claimed and not yet ended. */
  running: number;
  /** SSH connections up in the pool (held or idle). */
  sshConnectionsOpen: number;
  /** When Redis last took the agent's heartbeat (ms since the epoch); null before the first. */
  lastBeatAt: number | null;
}
