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
  /**
   * A leaf was claimed here, `waitedMs` after it was handed to the queue (by
   * the dispatcher's clock); null when the queue's stamp is not a time (a
   * Redis writer can make it anything).
   */
  childStarted(waitedMs: number | null): void;
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

/** Every call an {@link AgentObserver} takes (a class's methods are not its own keys, so they are named). */
const OBSERVER_CALLS = [
  'connectionOpened',
  'connectionFailed',
  'connectionReused',
  'childStarted',
  'childFinished',
  'commandRan',
  'outputBytes',
  'transferBytes',
] as const satisfies readonly (keyof AgentObserver)[];

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

/**
 * The observer with every call made safe: one that throws (a metrics library
 * refusing a value) is logged, once per kind of call, and the agent carries
 * on. Counting must never leave a claimed job unfinished or a connection
 * unmade.
 */
export function heardSafely<T extends Partial<AgentObserver>>(observer: T, log: (line: string) => void): T {
  const failed = new Set<string>();
  const safe: Partial<AgentObserver> = {};
  for (const name of OBSERVER_CALLS) {
    const call = observer[name] as ((...args: unknown[]) => void) | undefined;
    if (call === undefined) continue;
    (safe as Record<string, unknown>)[name] = (...args: unknown[]) => {
      try {
        call.apply(observer, args);
      } catch (error) {
        if (failed.has(name)) return;
        failed.add(name);
        log(
          `metrics: ${name} failed (not counted; further failures of it are not logged): ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    };
  }
  return safe as T;
}

/** What an agent is doing now, read when metrics are scraped. */
export interface AgentStats {
  /** Leaves claimed and not yet ended. */
  running: number;
  /** SSH connections up in the pool (held or idle). */
  sshConnectionsOpen: number;
  /** When Redis last took the agent's heartbeat (ms since the epoch); null before the first. */
  lastBeatAt: number | null;
}
