import type { Interruption, RunResult, RunSpec } from '@fleet/core';
import type { PullSink } from './pull-recorder.js';
import type { ContentReader } from './push-feed.js';

/** Output as it arrives; a returned promise asks the executor to pause the stream until it settles. */
export type OutputListener = (stream: 'stdout' | 'stderr', chunk: Buffer) => Promise<void> | undefined;

/**
 * `--stdin`: what the command reads on its standard input. Each read goes
 * to the store afresh, a chunk at a time, and checks every chunk against the
 * manifest the job was signed with: a chunk changed in Redis throws
 * (`ContentMismatchError`) before any byte of it is given out.
 */
export interface CommandInput {
  /** Its length in bytes, as signed. */
  size: number;
  read(): AsyncIterable<Buffer>;
}

/** A child's reason when its --stdin content failed its check (or could not be read). */
export function describeInputFailure(error: unknown): string {
  return `standard input (--stdin): ${error instanceof Error ? error.message : String(error)}`;
}

export interface ExecutionRequest {
  spec: RunSpec;
  /** The command's standard input (`--stdin`), or null (or absent) for none: it reads /dev/null. */
  input?: CommandInput | null;
  /** Aborted with an {@link Interruption} as its reason to stop the command. */
  signal: AbortSignal;
  /** Between SIGTERM and SIGKILL. */
  stopGraceMs: number;
  onOutput: OutputListener;
  /** `--ask-sudo-pass`'s password, opened from its sealed copy for this job only; null without one. Never stored, logged or put on a command line. */
  sudoPassword?: string | null;
  /** A value a thread job produced (an `output` record); a returned promise asks the executor to wait. */
  onValue: (value: unknown) => Promise<void> | undefined;
  /** The job's stored content (a push's files), checked against the signed manifests. @defaultValue none: a push fails */
  content?: ContentReader;
  /** Where a pull's child keeps what it brings back. @defaultValue none: a pull fails */
  pulled?: PullSink;
  /** Bytes of a transfer (push) handed to the host, as they go: they feed the progress line. @defaultValue not counted */
  onTransferred?: (bytes: number) => void;
}

/** Runs one command somewhere; local and SSH executors share this shape and {@link RunResult}. */
export type Executor = (request: ExecutionRequest) => Promise<Omit<RunResult, 'bytesDropped'>>;

/** How an executor says how a run ended: what it knows, plus the duration and whether it was interrupted. */
export type ResultMaker = (fields: {
  exitCode?: number | null;
  signal?: string | null;
  failure?: string | null;
}) => Omit<RunResult, 'bytesDropped'>;

/** Starts the clock for one run; the maker it returns fills in the duration and the interruption. */
export function startRun(signal: AbortSignal): ResultMaker {
  const began = Date.now();
  return (fields) => ({
    exitCode: fields.exitCode ?? null,
    signal: fields.signal ?? null,
    failure: fields.failure ?? null,
    durationMs: Date.now() - began,
    interruption: interruptionOf(signal),
  });
}

export function interruptionOf(signal: AbortSignal): Interruption | null {
  if (!signal.aborted) return null;
  const reason: unknown = signal.reason;
  return reason === 'stop' || reason === 'timeout' || reason === 'shutdown' ? reason : 'stop';
}
