import { CSRF_HEADER } from '../serve/page-contract.js';

/** An answer of the API that is not a success: its status and the server's message, which is the CLI's. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly hint: string | undefined,
  ) {
    super(message);
  }
}

/**
 * The page's requests to its server: same origin, so the browser adds the
 * session cookie; each carries the page's secret, without which the server
 * refuses a change or an output read to whoever holds only the cookie.
 */
export class ApiClient {
  constructor(private readonly secret: string) {}

  /** GETs JSON. */
  async get<T>(path: string): Promise<T> {
    return (await this.request('GET', path)).json() as Promise<T>;
  }

  /** GETs text (NDJSON output). */
  async text(path: string): Promise<string> {
    return (await this.request('GET', path)).text();
  }

  /** POSTs or DELETEs, with a JSON body if given; the answer's JSON, or null (204). */
  async send<T>(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<T | null> {
    const response = await this.request(method, path, body);
    return response.status === 204 ? null : (response.json() as Promise<T>);
  }

  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { [CSRF_HEADER]: this.secret };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
    if (response.ok) return response;
    const answer = (await response.json().catch(() => ({}))) as { error?: string; hint?: string };
    const message =
      response.status === 401
        ? 'the session has ended (the server was restarted?): open the URL fleet serve printed again'
        : (answer.error ?? `${response.status} ${response.statusText}`);
    throw new ApiError(response.status, message, answer.hint);
  }
}
