/**
 * Which Redis fleet uses when none is named (no FLEET_REDIS_URL, --redis or
 * FLEET_REDIS_CLUSTER). The first run looks: the default address
 * (127.0.0.1:6379) if it answers, else the embedded redis-server. That first
 * choice is recorded in the state directory and kept: a redis-server that
 * later appears on the default address is not used in the embedded one's
 * place, and a default address that stops answering is not replaced by the
 * embedded one. A change of Redis is the user's act (FLEET_REDIS_URL), and the
 * CLI says so, in one line, when the Redis in use is not the one it used last.
 */

/** How the first run without a named Redis found one. */
export type DetectedRedis = 'default-address' | 'embedded';

const DETECTED: readonly DetectedRedis[] = ['default-address', 'embedded'];

/** The recorded choice read back, or null when the text is not one (the caller says where it is). */
export function parseDetectedRedis(text: string): DetectedRedis | null {
  let detected: unknown;
  try {
    detected = (JSON.parse(text) as { detected?: unknown }).detected;
  } catch {
    return null;
  }
  return DETECTED.find((kind) => kind === detected) ?? null;
}

/** The recorded choice as written to its file. */
export function formatDetectedRedis(detected: DetectedRedis): string {
  return `${JSON.stringify({ detected })}\n`;
}

/**
 * The line the CLI prints on stderr when the Redis it uses now (`endpoint`,
 * password hidden) is not the one it used last; null when it is the same, or
 * when there is no last one.
 */
export function redisChangeNotice(lastEndpoint: string | null, endpoint: string, named: boolean): string | null {
  if (lastEndpoint === null || lastEndpoint === endpoint) return null;
  const why = named ? 'as FLEET_REDIS_URL, --redis or FLEET_REDIS_CLUSTER says' : 'the Redis fleet chose when none was named';
  return `Redis changed from ${lastEndpoint} to ${endpoint} (${why}); jobs kept in ${lastEndpoint} are not seen here`;
}
