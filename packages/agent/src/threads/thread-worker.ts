/**
 * Runs inside a worker thread: one thread job's JavaScript. Values reach the
 * agent as JSON text, so that what `receive --json` prints is exactly what
 * was emitted, and a value JSON cannot hold fails here, clearly, instead of
 * arriving changed.
 */
import { pathToFileURL } from 'node:url';
import { parentPort } from 'node:worker_threads';

/** What the agent hands the worker, in its one message. */
export interface ThreadWorkerData {
  source: 'eval' | 'module';
  code: string;
  /** Where the agent wrote the module (for `module`). */
  modulePath: string | null;
  args: string[];
  /** Added to this worker's own copy of the environment. */
  env: Record<string, string>;
}

/** What the worker tells the agent. */
export type ThreadMessage = { type: 'output'; json: string } | { type: 'error'; message: string } | { type: 'done' };

type ThreadFunction = (context: { args: string[]; emit: (value: unknown) => void }) => unknown;

const AsyncFunction = (Object.getPrototypeOf(async () => {}) as { constructor: unknown }).constructor as new (
  ...source: string[]
) => ThreadFunction;

function post(message: ThreadMessage): void {
  parentPort?.postMessage(message);
}

function toJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`${what} cannot be serialized as JSON: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  if (text === undefined) throw new TypeError(`${what} cannot be serialized as JSON (it is ${typeof value})`);
  return text;
}

async function load(data: ThreadWorkerData): Promise<ThreadFunction> {
  if (data.source === 'eval') return new AsyncFunction('{ args, emit }', data.code);
  const module = (await import(pathToFileURL(data.modulePath ?? '').href)) as { default?: unknown };
  if (typeof module.default !== 'function') throw new TypeError('the module has no default export that is a function');
  return module.default as ThreadFunction;
}

/** Resolves once everything written to a stdio stream has been handed to the agent. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

async function main(data: ThreadWorkerData): Promise<void> {
  Object.assign(process.env, data.env);
  const emit = (value: unknown) => post({ type: 'output', json: toJson(value, 'a value passed to emit') });
  const result = await (await load(data))({ args: data.args, emit });
  if (result !== undefined) post({ type: 'output', json: toJson(result, 'the return value') });
}

// The worker starts ahead of need (see ThreadPool) and waits here for its one job.
parentPort?.once('message', (data: ThreadWorkerData) => {
  void runJob(data);
});

function runJob(data: ThreadWorkerData): Promise<void> {
  return main(data)
    .catch((error: unknown) => post({ type: 'error', message: error instanceof Error ? error.message : String(error) }))
    .then(() => Promise.all([flushed(process.stdout), flushed(process.stderr)]))
    .then(() => post({ type: 'done' }));
}
