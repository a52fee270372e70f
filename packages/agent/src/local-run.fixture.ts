import type { CommandSpec, RunSpec } from '@fleet/core';
import type { ExecutionRequest, Executor } from './executor.js';

/**
 * For tests: runs `command` with `executor` as an agent would, the rest of
 * the spec and of the request at plain defaults (`extra` wins), and returns
 * its result with what it printed and the bytes it counted transferred.
 */
export async function runForTest(executor: Executor, command: CommandSpec, extra: Partial<ExecutionRequest> = {}) {
  const spec: RunSpec = { command, workdir: null, env: {}, timeoutMs: null, connectTimeoutMs: null, maxOutputBytes: 1_000_000 };
  let stdout = '';
  let stderr = '';
  let transferred = 0;
  const result = await executor({
    spec,
    signal: new AbortController().signal,
    stopGraceMs: 1000,
    onOutput: (stream, chunk) => {
      if (stream === 'stdout') stdout += chunk.toString();
      else stderr += chunk.toString();
      return undefined;
    },
    onValue: () => undefined,
    onTransferred: (bytes) => (transferred += bytes),
    ...extra,
  });
  return { ...result, stdout, stderr, transferred };
}
