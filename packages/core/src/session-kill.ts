/**
 * The shell line that signals everything a command started: the session and
 * the process group led by PID (a shell word: `"$1"`, or a number), or, where
 * PID leads none (no /proc or no `setsid` on the host), PID itself and then
 * its children (the shell first: else it could run its next command once its
 * child is gone). The session goes first: it can hold groups other than the
 * command's, and a SIGKILL to the group also ends a watcher that sits in it.
 * No `--` before the group: dash's `kill` refuses it (`Illegal number: -`).
 * Used by the agent's stop (`buildRemoteKill`) and the orphan watcher.
 */
export function killSessionLine(pid: string, signal: 'TERM' | 'KILL'): string {
  return `pkill -${signal} -s ${pid} 2>/dev/null; kill -${signal} -${pid} 2>/dev/null || { kill -${signal} ${pid}; pkill -${signal} -P ${pid}; } 2>/dev/null`;
}
