import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { hasShebang, hostRunSpec, jobEnvironment, type HostCommandSpec, type RunSpec } from '@fleet/core';
import { startRun, type Executor } from './executor.js';
import { forwardWithBackpressure } from './forward-with-backpressure.js';
import { watchForOrphan } from './local-orphan-watch.js';
import { localLoginShell } from './login-shell.js';

/**
 * Runs a command on this machine. A command line runs as sshd would run it
 * for this user: the user's shell (`localLoginShell`), `-c LINE`, with the
 * shell's base name as argv[0]. `--env` travels in the spawned process's
 * environment, never in its argv; the agent's own `FLEET_` variables do not
 * (`jobEnvironment`). The command is the leader of its own process
 * group, so stopping it (SIGTERM, then SIGKILL after the grace period) reaches
 * every process it started, not just the shell. A watcher ends that group
 * if the agent dies while the command runs (`watchForOrphan`).
 */
export const runLocally: Executor = async ({ spec: anySpec, signal, stopGraceMs, onOutput }) => {
  const done = startRun(signal);

  const spec = hostRunSpec(anySpec);
  if (spec === null) return done({ failure: 'a thread job cannot run as a process' });
  if (spec.sudo !== undefined) return done({ failure: '--sudo runs commands on SSH hosts; localhost does not take it' });
  const cwd = spec.workdir ?? homedir();
  const cwdInfo = await stat(cwd).catch(() => null);
  if (!cwdInfo?.isDirectory()) return done({ failure: `working directory ${cwd} does not exist` });
  if (signal.aborted) return done({});

  const scriptDir = spec.command.kind === 'script' ? await mkdtemp(join(tmpdir(), 'fleet-script-')) : null;
  try {
    const { file, args, argv0 } = await commandFor(spec, scriptDir);
    const child = spawn(file, args, {
      argv0,
      cwd,
      // None of the agent's FLEET_ settings (its Redis password among them) reach the command.
      env: jobEnvironment(process.env, spec.env),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exit = waitForExit(child);
    const commandEnded = watchForOrphan(child, stopGraceMs);
    void forwardWithBackpressure(child.stdout, (chunk) => onOutput('stdout', chunk));
    void forwardWithBackpressure(child.stderr, (chunk) => onOutput('stderr', chunk));
    const stopGroup = () => terminateGroup(child, stopGraceMs);
    signal.addEventListener('abort', stopGroup, { once: true });
    try {
      const result = await exit;
      if (signal.aborted) killGroup(child, 'SIGKILL'); // leftovers of an interrupted command
      return done(result);
    } finally {
      commandEnded();
      signal.removeEventListener('abort', stopGroup);
    }
  } finally {
    if (scriptDir !== null) await rm(scriptDir, { recursive: true, force: true });
  }
};

async function commandFor(
  spec: RunSpec<HostCommandSpec>,
  scriptDir: string | null,
): Promise<{ file: string; args: string[]; argv0?: string }> {
  const command = spec.command;
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

function waitForExit(child: ChildProcess): Promise<{ exitCode?: number | null; signal?: string | null; failure?: string }> {
  return new Promise((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ failure: `cannot start the command: ${error.message}` }));
    // 'close' waits for the output pipes too, so no line is lost.
    child.once('close', (exitCode, signal) => resolve({ exitCode, signal }));
  });
}

function terminateGroup(child: ChildProcess, graceMs: number): void {
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
