import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';

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

/** A sticky, world-writable directory, as /tmp is, holding a file of root's that an attacker wants written through. */
export interface SharedTmp {
  dir: string;
  /** Stands for /root/.bashrc or /root/.ssh/authorized_keys: mode 600, owned by the test (root). */
  target: string;
  /** What `target` holds, and must still hold. */
  original: string;
  remove(): Promise<void>;
}

export async function sharedTmpWithRootFile(prefix: string): Promise<SharedTmp> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o1777);
  const target = join(dir, 'root-owned-target');
  const original = 'root-owned, to stay as it is\n';
  await writeFile(target, original, { mode: 0o600 });
  return { dir, target, original, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Hooks for a test file: another local user, and a shared directory with a file of root's in it; both removed after the file. */
export function useLocalAttacker(prefix: string) {
  let user: LocalUser | undefined;
  let tmp: SharedTmp | undefined;
  beforeAll(async () => {
    user = await createLocalUser();
    tmp = await sharedTmpWithRootFile(prefix);
  });
  afterAll(async () => {
    await tmp?.remove();
    await user?.remove();
  });
  const ready = () => {
    if (user === undefined || tmp === undefined) throw new Error('no local attacker outside a test');
    return { user, tmp };
  };
  return {
    get user(): LocalUser {
      return ready().user;
    },
    get tmp(): SharedTmp {
      return ready().tmp;
    },
  };
}
