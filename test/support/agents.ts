import { readFile } from 'node:fs/promises';
import type { FleetEnv } from './fleet-env.js';
import { until } from './poll.js';

/** An agent as `fleet agents --json` prints it (the fields tests read). */
export interface AgentJson {
  id: string;
  pid: number;
  concurrency: number;
  running: number;
}

/** Starts `fleet agent` in the foreground and waits until it has registered. */
export async function startForegroundAgent(env: FleetEnv, args: string[] = []) {
  const child = env.spawn(['agent', ...args]);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await until(async () => (await env.json<AgentJson[]>(['agents'])).some((agent) => agent.pid === child.pid), {
    what: 'the agent to register',
  });
  return { child, exited, stderr: () => stderr };
}

/** The peak resident memory (VmHWM) of the one agent alive, in MiB. */
export async function agentPeakMiB(env: FleetEnv): Promise<number> {
  const [agent] = await env.json<AgentJson[]>(['agents']);
  const status = await readFile(`/proc/${agent?.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}
