import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const FLEET_BIN = fileURLToPath(new URL('../../packages/cli/bin/fleet.js', import.meta.url));

export interface FleetResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  input?: string;
  cwd?: string;
  /** Kill the CLI if it has not exited by then, so a hang fails the test instead of stalling it. */
  timeoutMs?: number;
  /** A command to run fleet under, such as `unshare --net`. */
  wrap?: string[];
}

/** Runs the real `fleet` binary, as a user would, and collects what it printed. */
export function runFleet(args: string[], options: RunOptions): Promise<FleetResult> {
  return new Promise((resolve, reject) => {
    const child = spawnFleet(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(options.input ?? '');
  });
}

/** Starts the `fleet` binary without waiting for it (a foreground agent, a long receive). */
export function spawnFleet(args: string[], options: RunOptions): ChildProcess {
  const [command, ...prefix] = [...(options.wrap ?? []), process.execPath];
  return spawn(command, [...prefix, FLEET_BIN, ...args], {
    env: options.env,
    cwd: options.cwd ?? options.env.HOME,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}
