import { execFile } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import { until } from './poll.js';
import { SUDO_TEST_USER } from './ssh-fleet.js';
import { sudoPasswordLock } from './sudo-run.js';

/**
 * The sudo test user's password for this run, set once. Test files run two at
 * a time, and each setting its own password would make the other's sudo fail
 * with "incorrect password": the first file to ask takes a lock (a directory
 * made atomically) and sets it; the others wait until it is set. The password
 * lives nowhere but in the run's memory and /etc/shadow: the lock directory
 * holds only a marker that it is set.
 */
export async function sudoTestPassword(): Promise<string> {
  const run = inject('sudoRun');
  const password = `pw-${run}`;
  const lock = sudoPasswordLock(run);
  const done = join(lock, 'set');
  let mine = true;
  try {
    await mkdir(lock, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    mine = false;
  }
  if (mine) {
    // On chpasswd's standard input, never on a command line.
    const child = execFile('chpasswd');
    child.stdin?.end(`${SUDO_TEST_USER}:${password}\n`);
    const code = await new Promise((resolve) => child.once('close', resolve));
    if (code !== 0) throw new Error(`chpasswd for ${SUDO_TEST_USER} exited with ${String(code)}`);
    await writeFile(done, '');
  } else {
    await until(
      () =>
        stat(done).then(
          () => true,
          () => false,
        ),
      { what: `${SUDO_TEST_USER}'s password to be set by another test file` },
    );
  }
  return password;
}
