import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { basename, join } from 'node:path';
import {
  describeSudoFailure,
  hasShebang,
  hostRunSpec,
  jobEnvironment,
  localSudoScript,
  REMOTE_MARKER,
  RemotePreambleFilter,
  sudoInput,
  wholeSeconds,
  type HostCommandSpec,
  type RunSpec,
} from '@fleet/core';
import { startRun, type Executor } from './executor.js';
import { forwardWithBackpressure } from './forward-with-backpressure.js';
import { startOrphanWatch } from './local-orphan-watch.js';
import { localLoginShell } from './login-shell.js';
import { stageInput } from './staged-input.js';

/**
 * Runs a command on this machine. A command line runs as sshd would run it
 * for this user: the user's shell (`localLoginShell`), `-c LINE`, with the
 * shell's base name as argv[0]. `--env` travels in the spawned process's
 * environment, never in its argv; the agent's own `FLEET_` variables do not
 * (`jobEnvironment`). The command is the leader of its own process
 * group, so stopping it (SIGTERM, then SIGKILL after the grace period) reaches
 * every process it started, not just the shell. A watcher ends that group
 * if the agent dies while the command runs (`startOrphanWatch`). Its standard
 * input is closed, or with `--stdin` a private, unlinked file holding the
 * whole input (`stageInput`).
 *
 * With `--sudo` it runs sudo as the remote wrapper does (`localSudoScript`):
 * the password and the `--env` values go on sudo's standard input, never in
 * an argv or an environment, and sudo's own lines stay out of the output.
 */
export const runLocally: Executor = async ({ spec: anySpec, input = null, signal, stopGraceMs, onOutput, sudoPassword = null }) => {
  const done = startRun(signal);

  const spec = hostRunSpec(anySpec);
  if (spec === null) return done({ failure: 'a thread job cannot run as a process' });
  const cwd = spec.workdir ?? homedir();
  const cwdInfo = await stat(cwd).catch(() => null);
  if (!cwdInfo?.isDirectory()) return done({ failure: `working directory ${cwd} does not exist` });
  if (signal.aborted) return done({});
  const sudo = spec.sudo;
  if (sudo !== undefined && input !== null) return done({ failure: '--sudo does not take --stdin yet' });
  // --stdin's bytes are all there, and checked, before the command starts (see stageInput).
  const staged = input === null ? null : await stageInput(input);
  if (staged !== null && 'failure' in staged) return done({ failure: staged.failure });
  const stdinFile = staged?.reader ?? null;
  if (signal.aborted) {
    await stdinFile?.close();
    return done({});
  }

  let scriptDir: string | null = null;
  try {
    if (spec.command.kind === 'script') scriptDir = await mkdtemp(join(tmpdir(), 'fleet-script-'));
    const { file, args, argv0 } = await commandFor(spec, scriptDir, stopGraceMs);
    // Made before anything starts: a bad --env name throws here, with nothing to clean up.
    const sudoStdin = sudo === undefined ? '' : `${sudoInput(spec, sudo.askPassword ? sudoPassword : null)}\n`;
    // The watcher first, so that no moment passes with the command running and unwatched.
    const orphanWatch = startOrphanWatch(stopGraceMs);
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        argv0,
        cwd,
        // None of the agent's FLEET_ settings (its Redis password among them) reach the command; sudo gets them on its input.
        env: sudo === undefined ? jobEnvironment(process.env, spec.env) : jobEnvironment(process.env, {}),
        detached: true,
        stdio: [sudo !== undefined ? 'pipe' : (stdinFile?.fd ?? 'ignore'), 'pipe', 'pipe'],
      });
    } catch (error) {
      orphanWatch.close();
      throw error;
    }
    orphanWatch.track(child);
    // Everything is listened for before anything is awaited: a command that ends during an await
    // would have its 'close' missed, and its output, which Node drains when it exits, lost.
    const exit = waitForExit(child);
    child.stdin?.on('error', () => {});
    child.stdin?.end(sudoStdin);
    let sudoPrompts = 0;
    let wrapperError: string | null = null;
    const preamble =
      sudo === undefined
        ? null
        : new RemotePreambleFilter((marker) => {
            if (marker.kind === 'sudo-prompt') sudoPrompts += 1;
            else if (marker.kind === 'sudo-checked')
              sudoPrompts = 0; // the password passed; the prompts so far were its check's
            else if (marker.kind === 'error') wrapperError = marker.message;
          });
    // Both piped (the spawn's stdio above), whatever TypeScript makes of the choice for stdin.
    void forwardWithBackpressure(child.stdout as Readable, (chunk) => onOutput('stdout', chunk));
    const stderrDone = forwardWithBackpressure(child.stderr as Readable, (chunk) => {
      const rest = preamble === null ? chunk : preamble.push(chunk);
      return rest.length > 0 ? onOutput('stderr', rest) : undefined;
    });
    const stopGroup = () => terminateGroup(child, stopGraceMs);
    signal.addEventListener('abort', stopGroup, { once: true });
    try {
      // The command holds its own copy of the --stdin descriptor now.
      await stdinFile?.close();
      const result = await exit;
      if (signal.aborted) killGroup(child, 'SIGKILL'); // leftovers of an interrupted command
      if (preamble === null || sudo === undefined) return done(result);
      await stderrDone;
      const tail = preamble.end();
      if (tail.length > 0) await onOutput('stderr', tail);
      if (preamble.started || signal.aborted || result.failure !== undefined) return done(result);
      const attempt = {
        prompts: sudoPrompts,
        lines: preamble.wrapperLines,
        askPassword: sudo.askPassword,
        exitCode: result.exitCode ?? null,
      };
      return done({ ...result, failure: wrapperError ?? describeSudoFailure(attempt) });
    } finally {
      orphanWatch.close();
      signal.removeEventListener('abort', stopGroup);
    }
  } finally {
    await stdinFile?.close(); // a second close, once the command has its own, does nothing
    if (scriptDir !== null) await rm(scriptDir, { recursive: true, force: true });
  }
};

async function commandFor(
  spec: RunSpec<HostCommandSpec>,
  scriptDir: string | null,
  stopGraceMs: number,
): Promise<{ file: string; args: string[]; argv0?: string }> {
  const command = spec.command;
  if (spec.sudo !== undefined && command.kind === 'shell') {
    return {
      file: '/bin/sh',
      args: [
        '-c',
        localSudoScript({
          sudo: spec.sudo,
          line: command.line,
          workdir: spec.workdir,
          marker: REMOTE_MARKER,
          graceSeconds: wholeSeconds(stopGraceMs),
        }),
      ],
      argv0: 'sh',
    };
  }
  if (command.kind === 'shell') {
    const shell = localLoginShell();
    // sshd's argv[0] is the shell's base name, which is what error messages start with.
    return { file: shell, args: ['-c', command.line], argv0: basename(shell) };
  }
  const path = join(scriptDir as string, 'script');
  await writeFile(path, command.content, { mode: 0o700 });
  await chmod(path, 0o700);
  return hasShebang(command.content) ? { file: path, args: command.args } : { file: '/bin/sh', args: [path, ...command.args] };
}

export function waitForExit(child: ChildProcess): Promise<{ exitCode?: number | null; signal?: string | null; failure?: string }> {
  return new Promise((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ failure: `cannot start the command: ${error.message}` }));
    // 'close' waits for the output pipes too, so no line is lost.
    child.once('close', (exitCode, signal) => resolve({ exitCode, signal }));
  });
}

export function terminateGroup(child: ChildProcess, graceMs: number): void {
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  timer.unref();
  child.once('close', () => {
    clearTimeout(timer);
    // The leader may have gone while others in its group ignored SIGTERM.
    killGroup(child, 'SIGKILL');
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}
