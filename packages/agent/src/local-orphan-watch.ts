import { spawn, type ChildProcess } from 'node:child_process';
import { ORPHAN_WATCH, orphanWatchArgs, wholeSeconds } from '@fleet/core';

/**
 * Ends a local command's process group if this agent dies while it runs
 * (SIGKILL, OOM): a `/bin/sh` running `ORPHAN_WATCH` on a pipe that only this
 * agent holds open. The kernel closes the pipe when the agent dies, at once;
 * the watcher finds the command still there and signals its group (SIGTERM,
 * SIGKILL after the grace). At a normal end the agent closes the pipe after
 * the command was reaped, and the watcher exits quietly. It runs in a group
 * of its own, so a signal to the agent's group (Ctrl-C) leaves it be. No
 * heartbeat: a local pipe cannot be cut off while both ends live.
 *
 * @returns what to call once the command has ended (it closes the pipe).
 */
export function watchForOrphan(command: ChildProcess, stopGraceMs: number): () => void {
  if (command.pid === undefined) return () => {};
  const watcher = spawn(
    '/bin/sh',
    ['-c', ORPHAN_WATCH, ...orphanWatchArgs(String(command.pid), { silenceSeconds: 0, graceSeconds: wholeSeconds(stopGraceMs) })],
    {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      // The watcher needs its tools, not the agent's secrets (FLEET_REDIS_URL and the like).
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    },
  );
  // No /bin/sh, or a watcher that died: the command runs all the same, unwatched.
  watcher.on('error', () => {});
  watcher.stdin?.on('error', () => {});
  watcher.unref();
  return () => watcher.stdin?.end();
}
