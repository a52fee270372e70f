import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { FLEET_BIN } from './fleet-cli.js';

/**
 * Runs `fleet ARGS` with its stdout going straight into `file` (a file, as
 * `> file` in a shell gives it), so that the bytes it wrote can be compared
 * with `cmp`; returns its exit code and what it printed on stderr.
 */
export async function fleetToFile(args: string[], env: NodeJS.ProcessEnv, file: string): Promise<{ code: number | null; stderr: string }> {
  return commandToFile(process.execPath, [FLEET_BIN, ...args], env, file);
}

/** Runs a command with its stdout going straight into `file`; its exit code and stderr. */
export async function commandToFile(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  file: string,
): Promise<{ code: number | null; stderr: string }> {
  const out = await open(file, 'w');
  try {
    return await new Promise((resolve, reject) => {
      const child = spawn(command, args, { env, cwd: env.HOME, stdio: ['ignore', out.fd, 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
  } finally {
    await out.close();
  }
}

/** Runs `fleet ARGS` with its standard input read from `file` (as `< file` in a shell gives it); what it printed. */
export async function fleetWithInput(
  args: string[],
  env: NodeJS.ProcessEnv,
  file: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const input = await open(file, 'r');
  try {
    return await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [FLEET_BIN, ...args], { env, cwd: env.HOME, stdio: [input.fd, 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  } finally {
    await input.close();
  }
}
