import { spawn, type ChildProcess } from 'node:child_process';
import { ORPHAN_PID_FROM_INPUT, ORPHAN_WATCH, orphanWatchArgs, wholeSeconds } from '@fleet/core';

/** A watcher started before its command. */
export interface OrphanWatch {
  /** Hands the watcher the command's pid (none: the spawn failed, and the watcher is closed). */
  track(command: ChildProcess): void;
  /** Once the command has ended (or never started): the watcher exits quietly. */
  close(): void;
}

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
 * Started before the command, and told its pid on the pipe by `track` in the
 * same synchronous step as the command's spawn: a watcher spawned after the
 * command left a window (the fork of a large process, longer on a loaded
 * machine) in which the command ran and an agent killed then left it
 * unwatched.
 */
export function startOrphanWatch(stopGraceMs: number): OrphanWatch {
  const watcher = spawn(
    '/bin/sh',
    ['-c', ORPHAN_WATCH, ...orphanWatchArgs(ORPHAN_PID_FROM_INPUT, { silenceSeconds: 0, graceSeconds: wholeSeconds(stopGraceMs) })],
    {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      // The watcher needs its tools, not the agent's secrets (FLEET_REDIS_URL and the like).
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    },
  );
  // A watcher that cannot start ('error': no /bin/sh) or died: the command runs all the same, unwatched.
  // (A spawn that throws at once, out of memory, fails the child before its command starts.)
  watcher.on('error', () => {});
  watcher.stdin?.on('error', () => {});
  watcher.unref();
  const close = () => watcher.stdin?.end();
  return {
    track(command) {
      // No pid: the command never started, and the input's end tells the watcher so.
      if (command.pid === undefined) close();
      else watcher.stdin?.write(`${command.pid}\n`);
    },
    close,
  };
}
