import type { Interruption, RunResult, RunSpec } from '@fleet/core';

/** Output as it arrives; a returned promise asks the executor to pause the stream until it settles. */
export type OutputListener = (stream: 'stdout' | 'stderr', chunk: Buffer) => Promise<void> | undefined;

export interface ExecutionRequest {
  spec: RunSpec;
  /** Aborted with an {@link Interruption} as its reason to stop the command. */
  signal: AbortSignal;
  /** Between SIGTERM and SIGKILL. */
  stopGraceMs: number;
  onOutput: OutputListener;
  /** `--ask-sudo-pass`'s password, opened from its sealed copy for this job only; null without one. Never stored, logged or put on a command line. */
  sudoPassword?: string | null;
  /** A value a thread job produced (an `output` record); a returned promise asks the executor to wait. */
  onValue: (value: unknown) => Promise<void> | undefined;
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
