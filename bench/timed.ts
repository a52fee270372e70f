// Timing one command as a whole process, the way every benchmark here does.
import { spawn } from 'node:child_process';

/** Runs a command; returns its wall time in seconds, and fails the benchmark (with the end of its stderr) if it failed. */
export async function timedRun(command: string, args: string[], options: { env: NodeJS.ProcessEnv; input?: string }): Promise<number> {
  const began = performance.now();
  const child = spawn(command, args, { env: options.env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  if (options.input !== undefined) child.stdin?.end(options.input);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const seconds = (performance.now() - began) / 1000;
  if (code !== 0) throw new Error(`${command} ${args.slice(0, 6).join(' ')} ... exited ${code}: ${stderr}`);
  return seconds;
}
