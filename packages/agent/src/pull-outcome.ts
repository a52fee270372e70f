import { TarFormatError, type RunResult } from '@fleet/core';
import { JobGoneError } from '@fleet/store';
import { PullCapError, type PullRecorder } from './pull-recorder.js';

/**
 * How a pull's child ends, and whether what it recorded is written out: only
 * a stream the host ended itself (an exit status, even a failing one: a
 * missing path among others) and read whole is sealed for writing out. A
 * stop, a cut connection, a stream over the cap or not tar, or a store that
 * failed drops what was recorded, and the reason says why.
 */
export async function settlePull(
  outcome: Partial<RunResult>,
  recorder: PullRecorder,
  recordError: Error | null,
  stopped: boolean,
): Promise<Partial<RunResult>> {
  const ended = typeof outcome.exitCode === 'number';
  if (recordError !== null || stopped || !ended) {
    await recorder.abandon().catch(() => {});
    if (recordError === null) return outcome;
    return { ...outcome, failure: describeRecordError(recordError) };
  }
  try {
    await recorder.finish();
  } catch (error) {
    await recorder.abandon().catch(() => {});
    return { ...outcome, failure: outcome.failure ?? describeRecordError(error instanceof Error ? error : new Error(String(error))) };
  }
  return outcome.failure ? outcome : { ...outcome, failure: recorder.refusedReason() };
}

function describeRecordError(error: Error): string {
  if (error instanceof PullCapError) return error.message;
  if (error instanceof TarFormatError) return `what the host sent was refused: ${error.message}`;
  if (error instanceof JobGoneError) return 'the job was removed while its files came';
  return `cannot store what the host sent: ${error.message}`;
}
