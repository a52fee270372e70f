// OpenSSH ControlMasters made by the peers' warm runs (pssh, clush, xargs ssh,
// Ansible's ControlPersist). ControlPersist daemonizes each master, so the run
// cannot hold their pids: it keeps their sockets instead, each set in its own
// directory under one the run made, and closes exactly those with
// `ssh -O exit`. Nothing is matched by name, so nothing else is touched.
import { execFile, spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pMap from 'p-map';

const run = promisify(execFile);

export interface ControlMasters {
  /** A fresh, empty directory for one tool's control sockets. */
  dir(tool: string): Promise<string>;
  /** The ssh options that make, or reuse, a master with its socket in `dir`. */
  options(dir: string): string[];
  /** Asks every master with a socket in `dir` to exit, then removes `dir`. */
  close(dir: string): Promise<void>;
  /** The same for every directory left, then removes the run's own; synchronous, for process exit. */
  closeAllSync(): void;
}

// /tmp, not a longer TMPDIR: a socket path (with ssh's temporary suffix) must fit in sun_path.
export async function controlMasters(): Promise<ControlMasters> {
  const root = await mkdtemp('/tmp/fleet-cm-');
  return {
    dir: (tool) => mkdtemp(join(root, `${tool}-`)),
    options: (dir) => ['-o', 'ControlMaster=auto', '-o', `ControlPath=${dir}/%C`, '-o', 'ControlPersist=300'],
    async close(dir) {
      const sockets = await readdir(dir);
      await pMap(sockets, (socket) => run('ssh', exitArgs(join(dir, socket)), { timeout: EXIT_TIMEOUT_MS }).catch(() => undefined), {
        concurrency: 32,
      });
      await rm(dir, { recursive: true, force: true });
    },
    closeAllSync() {
      for (const dir of entriesSync(root)) {
        for (const socket of entriesSync(join(root, dir))) {
          spawnSync('ssh', exitArgs(join(root, dir, socket)), { stdio: 'ignore', timeout: EXIT_TIMEOUT_MS });
        }
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

// A master that does not answer in time is left to its ControlPersist timeout: the bench does not wait on it.
const EXIT_TIMEOUT_MS = 10_000;

// The path names the socket; the host is only there because ssh wants one, and no config file is read.
const exitArgs = (socket: string) => ['-F', '/dev/null', '-o', `ControlPath=${socket}`, '-O', 'exit', 'bench-master'];

function entriesSync(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return []; // already closed and removed
  }
}
