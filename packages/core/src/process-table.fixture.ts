import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

// For unit tests that start processes: what /proc says of them. (Packages cannot
// import test/support, whose `until` this mirrors.)

/** The fields of /proc/PID/stat after the name (index 0 the state, field 3), or null for no such process. */
function statFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Every process whose stat fields pass `keep`, zombies left out: what still runs. */
function processesWhere(keep: (fields: string[]) => boolean): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      const fields = statFields(entry);
      return fields !== null && fields[0] !== 'Z' && keep(fields);
    })
    .map(Number);
}

/** Processes of a session (field 6). */
export function sessionMembers(sid: number): number[] {
  return processesWhere((fields) => Number(fields[3]) === sid);
}

/** Children of a process (field 4). */
export function childrenOf(pid: number): number[] {
  return processesWhere((fields) => Number(fields[1]) === pid);
}

/** Whether a process runs (a zombie does not). */
export function isRunning(pid: number): boolean {
  const fields = statFields(pid);
  return fields !== null && fields[0] !== 'Z';
}

/** Polls `check` every 50 ms until it holds, or throws naming `what` after 30 s. */
export async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}
