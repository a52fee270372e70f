import { execFile } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { TEST_USER } from './ssh-fleet.js';

const sh = promisify(execFile);

/** The pid of the login user's process whose command line is exactly `commandLine`, running in `home` (one host's), or undefined. */
export async function hostProcessIn(commandLine: string, home: string): Promise<number | undefined> {
  const found = await sh('pgrep', ['-u', TEST_USER, '-f', '-x', commandLine]).catch(() => null);
  for (const candidate of found === null ? [] : found.stdout.trim().split('\n').map(Number)) {
    if ((await readlink(`/proc/${candidate}/cwd`).catch(() => '')) === home) return candidate;
  }
  return undefined;
}

/** The sshd that serves `pid`'s session, up its parents: killing it drops the connection. */
export async function sshdServing(pid: number): Promise<number> {
  let sshd = pid;
  for (let depth = 0; depth < 8; depth += 1) {
    const stat = await readFile(`/proc/${sshd}/stat`, 'utf8');
    sshd = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if ((await readFile(`/proc/${sshd}/comm`, 'utf8')).trim().startsWith('sshd')) return sshd;
  }
  throw new Error(`no sshd above process ${pid}`);
}
