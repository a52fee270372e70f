import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Another local user, made for one test file to act as an attacker on this machine would. */
export interface LocalUser {
  name: string;
  uid: number;
  /** Runs a command as this user (`runuser -u NAME --`). */
  run(command: string, args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** Removes the user (userdel); call it in afterAll. */
  remove(): Promise<void>;
}

/** Creates a throwaway user with no home and no login shell (useradd -M -s /usr/sbin/nologin). Needs root. */
export async function createLocalUser(): Promise<LocalUser> {
  const name = `fleetother${randomBytes(3).toString('hex')}`;
  await run('useradd', ['-M', '-s', '/usr/sbin/nologin', name]);
  const uid = Number((await run('id', ['-u', name])).stdout.trim());
  return {
    name,
    uid,
    run: (command, args) => run('runuser', ['-u', name, '--', command, ...args]),
    remove: async () => {
      await run('userdel', [name]);
    },
  };
}
