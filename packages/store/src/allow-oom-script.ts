import type { RedisClient } from './redis-connection.js';

/** Calls a script defined on a client: its keys, then its other arguments. */
export type ScriptCall = (...keysAndArgs: (string | Buffer)[]) => Promise<unknown>;

/**
 * A Lua script that must run while Redis is full (maxmemory reached under
 * `noeviction`), because what it does frees or bounds memory: ends a job,
 * deletes output, rewrites a heartbeat. Redis 7 runs a script over
 * maxmemory only when its shebang says `flags=allow-oom`; a script without
 * one fails at its first write (`OOM command not allowed ... script: ...`).
 *
 * Both forms are defined: a Redis older than 7 reads the shebang as Lua and
 * cannot compile it, and such a Redis has no allow-oom to give, so the
 * first such refusal switches this client to the plain form for good.
 * Never use it for a script that adds without bound (output, new jobs):
 * Redis's refusal of those is what keeps it below maxmemory.
 */
export function allowOomScript(client: RedisClient, name: string, numberOfKeys: number, lua: string): ScriptCall {
  const flaggedName = `${name}AllowOom`;
  if (!(name in client)) {
    client.defineCommand(name, { numberOfKeys, lua });
    client.defineCommand(flaggedName, { numberOfKeys, lua: `#!lua flags=allow-oom\n${lua}` });
  }
  const commands = client as unknown as Record<string, ScriptCall>;
  const plain = (commands[name] as ScriptCall).bind(client);
  const flagged = (commands[flaggedName] as ScriptCall).bind(client);
  const state = flagsUnsupported.get(client) ?? { unsupported: false };
  flagsUnsupported.set(client, state);
  return async (...keysAndArgs) => {
    if (state.unsupported) return plain(...keysAndArgs);
    try {
      return await flagged(...keysAndArgs);
    } catch (error) {
      if (!isShebangRefused(error)) throw error;
      state.unsupported = true;
      return plain(...keysAndArgs);
    }
  };
}

/** Per client: whether its Redis refused script flags (Redis 6 and older). */
const flagsUnsupported = new WeakMap<RedisClient, { unsupported: boolean }>();

/** Redis 6's words for a script whose first line is a shebang: `Error compiling script ... user_script:1: unexpected symbol near '#'`. */
function isShebangRefused(error: unknown): boolean {
  return error instanceof Error && /compiling script/i.test(error.message) && /near '#'/.test(error.message);
}
