import {
  buildRemoteCommand,
  buildRemoteInput,
  buildRemoteKill,
  buildPullSender,
  buildPushReceiver,
  DEFAULTS,
  inOwnSession,
  PushReport,
  pullRunSpec,
  pushRunSpec,
  describePreambleOverflow,
  describeSudoFailure,
  hostRunSpec,
  ORPHAN_HEARTBEAT,
  orphanSilenceMs,
  RemotePreambleFilter,
  RemoteStdoutPreambleFilter,
  SshConfigError,
  SshConnectError,
  wholeSeconds,
  type HostEntry,
  type PullCommandSpec,
  type PushCommandSpec,
  type RunResult,
  type RunSpec,
} from '@fleet/core';
import type { ClientChannel } from 'ssh2';
import { startChannelHeartbeat } from './channel-heartbeat.js';
import {
  describeInputFailure,
  startRun,
  type CommandInput,
  type ExecutionRequest,
  type Executor,
  type OutputListener,
} from '../executor.js';
import { forwardWithBackpressure } from '../forward-with-backpressure.js';
import { settlePull } from '../pull-outcome.js';
import { PullRecorder } from '../pull-recorder.js';
import { feedPush, pushOutcome } from '../push-feed.js';
import { writeWithBackpressure } from '../write-with-backpressure.js';
import type { SshLease } from './ssh-lease.js';
import type { SshPool } from './ssh-pool.js';
import { resolveSshTarget } from './ssh-target.js';

/**
 * Runs commands on a host over SSH, on a pooled connection. Closing a channel
 * does not end a remote command, so a stop or a timeout signals the command's
 * whole session on the host (SIGTERM, then SIGKILL after the grace period)
 * through a second channel on the same connection. A host that does not
 * confirm the end within `DEFAULTS.stopConfirmMs` of the SIGKILL (hung, or
 * its kill went nowhere) gets its channel closed, and the child ends anyway.
 * The channel's input carries the set-up header, a script and `--stdin`'s
 * bytes, then stays open for the whole run and carries a heartbeat byte
 * every `DEFAULTS.orphanHeartbeatMs`: the host's orphan watcher ends the
 * command when it closes (the agent died, sshd noticed) or falls silent for
 * longer than this connection's keepalive lets the agent wait
 * (`orphanSilenceMs`), so that the agent has failed the child first.
 */
export function sshExecutor(pool: SshPool, entry: HostEntry): Executor {
  return async ({ spec: anySpec, input = null, signal, stopGraceMs, onOutput, content, pulled, onTransferred, sudoPassword = null }) => {
    const result = startRun(signal);
    const push = pushRunSpec(anySpec);
    const pull = pullRunSpec(anySpec);
    const spec = hostRunSpec(anySpec);
    if (spec === null && push === null && pull === null) return result({ failure: 'a thread job cannot run over SSH' });
    let lease: SshLease;
    let silenceMs: number;
    try {
      const target = await resolveSshTarget(entry, anySpec.connectTimeoutMs);
      if (signal.aborted) return result({});
      lease = await pool.acquire(target);
      silenceMs = orphanSilenceMs(pool.keepaliveFor(target));
    } catch (error) {
      if (error instanceof SshConfigError) return result({ failure: `ssh configuration refused: ${error.message}` });
      return result({ failure: error instanceof SshConnectError ? error.message : `cannot connect: ${String(error)}` });
    }
    try {
      if (signal.aborted) return result({});
      if (push !== null) return result(await pushOverChannel(lease, push, { content, signal, stopGraceMs, onOutput, onTransferred }));
      if (pull !== null) return result(await pullOverChannel(lease, pull, { pulled, signal, stopGraceMs, onOutput, onTransferred }));
      if (spec === null) return result({ failure: 'a thread job cannot run over SSH' });
      const watch = { silenceSeconds: wholeSeconds(silenceMs), graceSeconds: wholeSeconds(stopGraceMs) };
      const outcome = await lease.exec(buildRemoteCommand(spec, watch), (channel) => {
        const watched = watchChannel(channel, lease, signal, stopGraceMs, onOutput, spec.sudo?.askPassword);
        // The set-up header (--env values and the sudo password: never on the command line), a
        // script's text and --stdin's bytes; then the heartbeat, which must not fall among those bytes.
        channel.write(buildRemoteInput(spec, sudoPassword));
        const heartbeat = () => startChannelHeartbeat(channel, ORPHAN_HEARTBEAT, DEFAULTS.orphanHeartbeatMs);
        if (input === null) {
          heartbeat();
          return watched;
        }
        // Once the outcome is known (the command ended, or the host was given up on), stop
        // waiting for a window a hung host will never open.
        const settled = new AbortController();
        const stopSending = () => settled.abort();
        watched.then(stopSending, stopSending);
        const inputRefusal = sendInput(channel, input, settled.signal).then((whole) => {
          if (whole) heartbeat();
          return null;
        }, refuseInput(channel));
        return Promise.all([watched, inputRefusal]).then(([ended, refusal]) => (refusal === null ? ended : { failure: refusal }));
      });
      return result(outcome);
    } catch (error) {
      return result({ failure: `cannot run the command: ${error instanceof Error ? error.message : String(error)}` });
    } finally {
      lease.release();
    }
  };
}

/**
 * A push over one exec channel: the receiver (push-receiver.ts, no SFTP
 * subsystem needed) reads the frames and content written on its input,
 * with the channel's flow control as back-pressure; its report becomes the
 * child's output (`changed PATH`), its failures sentences that name the
 * path. Stopped like a command (its session is signalled): the receiver
 * removes its temporary file. Content that fails its check against the
 * signed manifest ends the input, and the child fails with that reason.
 */
async function pushOverChannel(
  lease: SshLease,
  push: RunSpec<PushCommandSpec>,
  {
    content,
    signal,
    stopGraceMs,
    onOutput,
    onTransferred,
  }: Pick<ExecutionRequest, 'content' | 'signal' | 'stopGraceMs' | 'onOutput' | 'onTransferred'>,
): Promise<Partial<RunResult>> {
  if (content === undefined) return { failure: 'this agent has no content store to push from' };
  const report = new PushReport(push.command);
  let feedError: Error | null = null;
  let fed: Promise<void> = Promise.resolve();
  const outcome = await lease.exec(inOwnSession(buildPushReceiver()), (channel) => {
    const watched = watchChannel(channel, lease, signal, stopGraceMs, (stream, chunk) => {
      if (stream === 'stderr') return onOutput(stream, chunk);
      const lines = report.push(chunk);
      return lines.length > 0 ? onOutput('stdout', lines) : undefined;
    });
    // Once the outcome is known (the receiver ended, the connection dropped), stop waiting for a window that never opens.
    const settled = new AbortController();
    const stopSending = () => settled.abort();
    watched.then(stopSending, stopSending);
    fed = feedPush(channel, push.command, content, signal, report.probed, onTransferred, settled.signal).catch((error: unknown) => {
      feedError = error instanceof Error ? error : new Error(String(error));
      channel.end();
    });
    return watched;
  });
  // The report's end settles the probe of a receiver that never answered it, which the feed may await.
  const tail = report.end();
  await fed;
  if (tail.length > 0) await onOutput('stdout', tail);
  return pushOutcome(outcome, report, feedError);
}

/**
 * A pull over one exec channel: the sender (pull-sender.ts, no SFTP
 * subsystem needed) writes tar on its stdout, read as it comes into the
 * job's chunk store (the channel's window is the back-pressure: the host
 * waits while Redis takes a chunk). Stopped like a command. A stream over
 * the cap, or one the recorder refuses, stops the sender's session.
 */
async function pullOverChannel(
  lease: SshLease,
  pull: RunSpec<PullCommandSpec>,
  {
    pulled: sink,
    signal,
    stopGraceMs,
    onOutput,
    onTransferred,
  }: Pick<ExecutionRequest, 'pulled' | 'signal' | 'stopGraceMs' | 'onOutput' | 'onTransferred'>,
): Promise<Partial<RunResult>> {
  if (sink === undefined) return { failure: 'this agent has no content store to pull into' };
  const cut = new AbortController();
  let recordError: Error | null = null;
  const recorder = new PullRecorder(pull.command, sink, (line) => onOutput('stderr', line));
  const outcome = await lease.exec(inOwnSession(buildPullSender(pull.command)), (channel) => {
    channel.end();
    return watchChannel(channel, lease, AbortSignal.any([signal, cut.signal]), stopGraceMs, (stream, chunk) => {
      if (stream === 'stderr') return onOutput(stream, chunk);
      if (recordError !== null) return undefined;
      onTransferred?.(chunk.length);
      return recorder.push(chunk).catch((error: unknown) => {
        recordError ??= error instanceof Error ? error : new Error(String(error));
        cut.abort('stop');
      });
    });
  });
  return settlePull(outcome, recorder, recordError, signal.aborted);
}

/**
 * Writes --stdin's bytes after the header, as the source gives them and the
 * channel takes them (its window is the back-pressure). The wrapper on the
 * host reads exactly `input.size` of them before it starts the command.
 */
function sendInput(channel: ClientChannel, input: CommandInput, giveUp: AbortSignal): Promise<boolean> {
  return writeWithBackpressure(channel, input.read(), giveUp);
}

/**
 * A chunk of --stdin failed its check (changed or gone in Redis): the
 * channel is closed before the rest is sent, so the wrapper, still reading
 * the input, never starts the command, and the child fails saying why.
 */
function refuseInput(channel: ClientChannel): (error: unknown) => string {
  return (error) => {
    channel.close();
    return describeInputFailure(error);
  };
}

const CONNECTION_LOST = 'connection lost while the command was running';

/** Why a stopped or timed-out child ended without word from its host. */
const UNCONFIRMED = 'the host did not confirm the command ended';

/** Attaches every listener synchronously (inside the Promise executor): see SshLease.exec. */
function watchChannel(
  channel: ClientChannel,
  lease: SshLease,
  signal: AbortSignal,
  stopGraceMs: number,
  onOutput: OutputListener,
  /** Set with `--sudo`: whether sudo was given a password. */
  sudoAskPassword?: boolean,
  stopConfirmMs: number = DEFAULTS.stopConfirmMs,
): Promise<Partial<RunResult>> {
  return new Promise((resolve) => {
    let pid: number | null = null;
    let wrapperError: string | null = null;
    let sudoPrompts = 0;
    let exit: { code: number | null; signal: string | null } | null = null;
    // A channel that fails (a write the host no longer takes): the child's failure says so
    // unless the host's exit status came first. Never unheard: an 'error' with no listener ends the agent.
    let channelError: string | null = null;
    channel.on('error', (error: Error) => {
      channelError ??= error.message;
    });
    const preamble = new RemotePreambleFilter((marker) => {
      if (marker.kind === 'pid') {
        pid = marker.pid;
        if (signal.aborted) terminate();
      } else if (marker.kind === 'error') {
        wrapperError = marker.message;
      } else if (marker.kind === 'sudo-prompt') {
        sudoPrompts += 1;
      } else if (marker.kind === 'sudo-checked') {
        sudoPrompts = 0; // the password passed; the prompts so far were its check's
      }
    });

    const stdoutPreamble = new RemoteStdoutPreambleFilter();
    const stdoutDone = forwardWithBackpressure(channel, (chunk) => {
      const rest = stdoutPreamble.push(chunk);
      return rest.length > 0 ? onOutput('stdout', rest) : undefined;
    });
    const stderrDone = forwardWithBackpressure(channel.stderr, (chunk) => {
      const rest = preamble.push(chunk);
      if (preamble.overflowBytes !== null && wrapperError === null) refuseHost(preamble.overflowBytes);
      return rest.length > 0 ? onOutput('stderr', rest) : undefined;
    });
    // A host that floods stderr before the wrapper starts is hostile or broken: the
    // child fails and the channel closes. What still runs in the session is killed
    // when its pid is known; before that (a login shell's startup file), sshd closes
    // its pipes, and the next write ends it (SIGPIPE) before the wrapper can start.
    const refuseHost = (bytes: number) => {
      wrapperError = describePreambleOverflow(bytes);
      sendKill('KILL');
      channel.close();
    };

    // SIGTERM at once (or as soon as the pid is known), SIGKILL after the grace, and
    // if the host has still not confirmed the end (the channel closed) a moment
    // later, the child ends anyway: the channel is closed and the reason says so.
    let killTimer: NodeJS.Timeout | null = null;
    let confirmTimer: NodeJS.Timeout | null = null;
    let terminated = false;
    const sendKill = (which: 'TERM' | 'KILL') => {
      if (pid === null || lease.lost) return;
      lease
        .exec(buildRemoteKill(pid, which), (kill) => {
          kill.on('data', () => {});
          kill.stderr.on('data', () => {});
          kill.end();
        })
        .catch(() => {});
    };
    const terminate = () => {
      if (pid === null || terminated) return; // sent as soon as the pid is known
      terminated = true;
      sendKill('TERM');
    };
    const interrupt = () => {
      terminate();
      if (killTimer !== null) return;
      killTimer = setTimeout(() => {
        sendKill('KILL');
        confirmTimer = setTimeout(giveUpOnHost, stopConfirmMs);
      }, stopGraceMs);
    };
    let closed = false;
    const giveUpOnHost = () => {
      // An exit status is the host's word: the channel closes once its output is read.
      if (closed || exit !== null) return;
      closed = true;
      channel.close();
      resolve({ failure: UNCONFIRMED });
    };
    signal.addEventListener('abort', interrupt, { once: true });
    if (signal.aborted) interrupt();

    channel.on('exit', (code: number | null, signalName?: string) => {
      // ssh2 reports 'SIGKILL'; the SSH protocol itself says 'KILL'.
      exit = { code: typeof code === 'number' ? code : null, signal: signalName ? `SIG${signalName.replace(/^SIG/, '')}` : null };
    });
    channel.on('close', () => {
      signal.removeEventListener('abort', interrupt);
      if (killTimer) clearTimeout(killTimer);
      if (confirmTimer) clearTimeout(confirmTimer);
      if (closed) return;
      closed = true;
      // Whatever the command left behind in its session goes too.
      if (signal.aborted) sendKill('KILL');
      // ssh2 emits the channel's 'close' once stdout has ended, but not stderr:
      // stderr paused by back-pressure may still hold data, read only after it resumes.
      void Promise.all([stdoutDone, stderrDone]).then(() => {
        const stdoutTail = stdoutPreamble.end();
        if (stdoutTail.length > 0) void onOutput('stdout', stdoutTail);
        const tail = preamble.end();
        if (tail.length > 0) void onOutput('stderr', tail);
        if (wrapperError !== null) resolve({ failure: wrapperError, exitCode: exit?.code ?? null });
        else if (sudoAskPassword !== undefined && exit !== null && !preamble.started && !signal.aborted) {
          // sudo ended before the command started: it refused.
          const attempt = { prompts: sudoPrompts, lines: preamble.wrapperLines, askPassword: sudoAskPassword, exitCode: exit.code };
          resolve({ failure: describeSudoFailure(attempt), exitCode: exit.code });
        } else if (exit === null && signal.aborted) resolve({ failure: null });
        else if (exit === null) resolve({ failure: channelError === null ? CONNECTION_LOST : `${CONNECTION_LOST} (${channelError})` });
        else resolve({ exitCode: exit.code, signal: exit.signal });
      });
    });
  });
}
