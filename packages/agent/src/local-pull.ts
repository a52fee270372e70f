import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { buildPullSender, jobEnvironment, pullRunSpec, RemotePreambleFilter, RemoteStdoutPreambleFilter } from '@fleet/core';
import { startRun, type Executor } from './executor.js';
import { forwardWithBackpressure } from './forward-with-backpressure.js';
import { terminateGroup, waitForExit } from './local-executor.js';
import { settlePull } from './pull-outcome.js';
import { PullRecorder } from './pull-recorder.js';

/**
 * A pull from this machine (`localhost`, and every child a node's own agent
 * runs): the same sender as over SSH (pull-sender.ts), run by /bin/sh in the
 * home directory, in a process group of its own so that a stop reaches it;
 * its stdout is read into the job's chunk store as it comes.
 */
export const pullLocally: Executor = async ({ spec, signal, stopGraceMs, onOutput, pulled, onTransferred }) => {
  const done = startRun(signal);
  const pull = pullRunSpec(spec);
  if (pull === null) return done({ failure: 'only a pull runs here' });
  if (pulled === undefined) return done({ failure: 'this agent has no content store to pull into' });
  if (signal.aborted) return done({});

  const child = spawn('/bin/sh', ['-c', buildPullSender(pull.command)], {
    cwd: homedir(),
    env: jobEnvironment(process.env, pull.env),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = waitForExit(child);
  const stop = () => terminateGroup(child, stopGraceMs);
  let recordError: Error | null = null;
  const recorder = new PullRecorder(pull.command, pulled, (line) => onOutput('stderr', line));
  const stdoutPreamble = new RemoteStdoutPreambleFilter();
  const record = (chunk: Buffer) => {
    if (recordError !== null || chunk.length === 0) return undefined;
    onTransferred?.(chunk.length);
    return recorder.push(chunk).catch((error: unknown) => {
      recordError ??= error instanceof Error ? error : new Error(String(error));
      stop();
    });
  };
  let senderFailure: string | null = null;
  const preamble = new RemotePreambleFilter((marker) => {
    if (marker.kind === 'error') senderFailure = marker.message;
  });
  const stdoutDone = forwardWithBackpressure(child.stdout, (chunk) => record(stdoutPreamble.push(chunk)));
  const stderrDone = forwardWithBackpressure(child.stderr, (chunk) => {
    const rest = preamble.push(chunk);
    return rest.length > 0 ? onOutput('stderr', rest) : undefined;
  });
  signal.addEventListener('abort', stop, { once: true });
  try {
    const result = await exit;
    await Promise.all([stdoutDone, stderrDone]);
    await record(stdoutPreamble.end());
    const rest = preamble.end();
    if (rest.length > 0) await onOutput('stderr', rest);
    const outcome = { ...result, failure: senderFailure ?? result.failure ?? null };
    return done(await settlePull(outcome, recorder, recordError, signal.aborted));
  } finally {
    signal.removeEventListener('abort', stop);
  }
};
