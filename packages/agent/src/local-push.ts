import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { buildPushReceiver, jobEnvironment, PushReport, pushRunSpec, RemotePreambleFilter, RemoteStdoutPreambleFilter } from '@fleet/core';
import { startRun, type Executor } from './executor.js';
import { forwardWithBackpressure } from './forward-with-backpressure.js';
import { terminateGroup, waitForExit } from './local-executor.js';
import { feedPush, pushOutcome } from './push-feed.js';

/**
 * A push to this machine (`localhost`, and every child a node's own agent
 * runs): the same receiver as over SSH (push-receiver.ts), run by /bin/sh in
 * the home directory, in a process group of its own so that a stop reaches
 * it; the agent writes the frames and content on its standard input. If the
 * agent dies, the pipe closes and the receiver, cut short, removes its
 * temporary file: no orphan watcher is needed.
 */
export const pushLocally: Executor = async ({ spec, signal, stopGraceMs, onOutput, content, onTransferred }) => {
  const done = startRun(signal);
  const push = pushRunSpec(spec);
  if (push === null) return done({ failure: 'only a push runs here' });
  if (content === undefined) return done({ failure: 'this agent has no content store to push from' });
  if (signal.aborted) return done({});

  const child = spawn('/bin/sh', ['-c', buildPushReceiver()], {
    cwd: homedir(),
    env: jobEnvironment(process.env, push.env),
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.on('error', () => {}); // a receiver that failed closes its input: the feed says so
  const exit = waitForExit(child);
  const report = new PushReport(push.command);
  const stdoutPreamble = new RemoteStdoutPreambleFilter();
  let receiverFailure: string | null = null;
  const preamble = new RemotePreambleFilter((marker) => {
    if (marker.kind === 'error') receiverFailure = marker.message;
  });
  const stdoutDone = forwardWithBackpressure(child.stdout, (chunk) => {
    const lines = report.push(stdoutPreamble.push(chunk));
    return lines.length > 0 ? onOutput('stdout', lines) : undefined;
  });
  const stderrDone = forwardWithBackpressure(child.stderr, (chunk) => {
    const rest = preamble.push(chunk);
    return rest.length > 0 ? onOutput('stderr', rest) : undefined;
  });
  let feedError: Error | null = null;
  const fed = feedPush(child.stdin, push.command, content, signal, report.probed, onTransferred).catch((error: unknown) => {
    feedError = error instanceof Error ? error : new Error(String(error));
    child.stdin.end();
  });
  const stopGroup = () => terminateGroup(child, stopGraceMs);
  signal.addEventListener('abort', stopGroup, { once: true });
  try {
    const result = await exit;
    await Promise.all([stdoutDone, stderrDone]);
    const tail = report.push(stdoutPreamble.end());
    // The report's end settles the probe of a receiver that never answered it, which the feed may await.
    const last = Buffer.concat([tail, report.end()]);
    await fed;
    if (last.length > 0) await onOutput('stdout', last);
    const rest = preamble.end();
    if (rest.length > 0) await onOutput('stderr', rest);
    return done(pushOutcome({ ...result, failure: receiverFailure ?? result.failure ?? null }, report, feedError));
  } finally {
    signal.removeEventListener('abort', stopGroup);
  }
};
