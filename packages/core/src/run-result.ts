import type { RunSpec } from './command-spec.js';
import type { JobState } from './job-state.js';
import { describeDroppedInReason } from './output-budget.js';
import { describeOutputDroppedOutOfMemory } from './redis-memory.js';

/** Why a command was cut short by fleet rather than ending by itself. */
export type Interruption = 'stop' | 'timeout' | 'shutdown';

/**
 * The result of running one command, locally or over SSH. Executors all return
 * this, so nothing after them needs to know where a command ran.
 */
export interface RunResult {
  /** The exit status, when the command exited by itself. */
  exitCode: number | null;
  /** The signal that ended the command, if one did. */
  signal: string | null;
  durationMs: number;
  /** Output dropped past the per-job cap (nobody was receiving it). */
  bytesDropped: number;
  /** Output dropped because Redis was full (maxmemory under noeviction); 0 when left out. */
  bytesDroppedOutOfMemory?: number;
  interruption: Interruption | null;
  /** Why the command could not be started or reached at all, in words. */
  failure: string | null;
}

/** How a job ended, as its record holds it. */
export interface Outcome {
  state: JobState;
  exitCode: number | null;
  reason: string | null;
}

/**
 * Turns a run result into the job's final state and a reason a person
 * understands. Output dropped past the cap, or because Redis was full, is
 * part of the outcome: a command that exited 0 but lost output is Failed,
 * so that a dump cut short never reads as a success, and every reason says
 * what was dropped.
 */
export function judgeOutcome(result: RunResult, spec: Pick<RunSpec, 'timeoutMs' | 'maxOutputBytes'>): Outcome {
  const outcome = judgeRun(result, spec.timeoutMs);
  const losses: string[] = [];
  if (result.bytesDropped > 0) losses.push(describeDroppedInReason(result.bytesDropped, spec.maxOutputBytes));
  const outOfMemory = result.bytesDroppedOutOfMemory ?? 0;
  if (outOfMemory > 0) losses.push(describeOutputDroppedOutOfMemory(outOfMemory));
  if (losses.length === 0) return outcome;
  const dropped = losses.join(', and ');
  if (outcome.state === 'Completed') return { state: 'Failed', exitCode: 0, reason: `exit code 0, but ${dropped}` };
  return { ...outcome, reason: `${outcome.reason ?? outcome.state.toLowerCase()}, and ${dropped}` };
}

/** How the command itself ended, output aside. */
function judgeRun(result: RunResult, timeoutMs: number | null): Outcome {
  const exitCode = result.exitCode;
  // An interrupted run's failure says what else is known, e.g. that the host never confirmed the end.
  const also = result.failure === null ? '' : `; ${result.failure}`;
  if (result.interruption === 'stop') return { state: 'Stopped', exitCode, reason: `stopped${also}` };
  if (result.interruption === 'timeout') {
    return { state: 'Failed', exitCode, reason: `timed out after ${formatSeconds(timeoutMs ?? result.durationMs)}${also}` };
  }
  if (result.interruption === 'shutdown') return { state: 'Failed', exitCode, reason: `agent shut down${also}` };
  if (result.failure !== null) return { state: 'Failed', exitCode, reason: result.failure };
  if (result.signal !== null) return { state: 'Failed', exitCode, reason: `killed by signal ${result.signal}` };
  if (exitCode === 0) return { state: 'Completed', exitCode: 0, reason: null };
  return { state: 'Failed', exitCode, reason: `exit code ${exitCode ?? 'unknown'}` };
}

/** A duration as people write it in reasons: `5s`, `1.5s`. */
export function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)}s`;
}
