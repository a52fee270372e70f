import type { FleetEnv } from './fleet-env.js';
import { until } from './poll.js';

/** A `fleet serve` process of the test's, and what it printed. */
export interface Served {
  url: string;
  base: string;
  token: string;
  stderr(): string;
  /** Signals the server (SIGTERM unless told) and resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `fleet serve` on a free loopback port (unless told) and waits for the URL it prints. */
export async function startServe(env: FleetEnv, extraArgs: string[] = [], listen = '127.0.0.1:0'): Promise<Served> {
  const child = env.spawn(['serve', '--listen', listen, ...extraArgs]);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const url = await until(() => (stdout.includes('\n') ? stdout.split('\n')[0] : undefined), { what: `the URL (stderr: ${stderr})` });
  const parsed = new URL(url);
  return {
    url,
    base: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    stderr: () => stderr,
    stop: async (signal = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    },
  };
}

/** A request to the API with the token (Bearer) unless the headers carry a cookie or another Authorization, and a JSON body if given. */
export function api(served: Served, path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization') && !headers.has('cookie')) headers.set('authorization', `Bearer ${served.token}`);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  return fetch(`${served.base}${path}`, { ...init, headers, body: init.json === undefined ? init.body : JSON.stringify(init.json) });
}
