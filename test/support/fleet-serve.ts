import { request as httpRequest } from 'node:http';
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

/** Starts `fleet serve` on a free loopback port (unless told), with variables added to the file's environment, and waits for the URL it prints. */
export async function startServe(
  env: FleetEnv,
  extraArgs: string[] = [],
  listen = '127.0.0.1:0',
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<Served> {
  const child = env.spawn(['serve', '--listen', listen, ...extraArgs], extraEnv);
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

/** A request with any Host header (fetch will not send another than the URL's). */
export function withHost(served: Served, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, served.base);
    const request = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, headers: { host, authorization: `Bearer ${served.token}` } },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    request.end();
  });
}
