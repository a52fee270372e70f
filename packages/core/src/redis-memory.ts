import { formatBytes } from './output-budget.js';

/**
 * What a Redis says of itself in `INFO` (sections `memory` and
 * `persistence`), as far as fleet cares: how full it is, what it does when
 * full, and whether it keeps what it is given. A field the server left out
 * (a managed Redis may hide some) is null.
 */
export interface RedisSelfReport {
  usedMemoryBytes: number | null;
  /** 0: no limit. */
  maxmemoryBytes: number | null;
  maxmemoryPolicy: string | null;
  aofEnabled: boolean | null;
}

/** Reads `INFO`'s `field:value` lines. */
export function parseRedisInfo(text: string): RedisSelfReport {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const number = (name: string) => {
    const value = fields.get(name);
    return value === undefined || !/^\d+$/.test(value) ? null : Number(value);
  };
  const aof = fields.get('aof_enabled');
  return {
    usedMemoryBytes: number('used_memory'),
    maxmemoryBytes: number('maxmemory'),
    maxmemoryPolicy: fields.get('maxmemory_policy') ?? null,
    aofEnabled: aof === undefined ? null : aof === '1',
  };
}

/**
 * True for Redis's refusal of a write when it is over maxmemory under
 * `noeviction`: `OOM command not allowed when used memory > 'maxmemory'.`,
 * sent as it is, from inside a script (`... script: SHA, on
 * @user_script:N.`), or as the cause of a discarded transaction.
 */
export function isRedisOutOfMemory(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (/^OOM command not allowed/.test(error.message)) return true;
  // ioredis puts a MULTI's queued-command errors on `previousErrors`.
  const previous = (error as { previousErrors?: unknown[] }).previousErrors;
  return Array.isArray(previous) && previous.some(isRedisOutOfMemory);
}

/** How full Redis is, in the words an out-of-memory message gives: `maxmemory 30 MiB, used 29.9 MiB`. */
export function describeRedisFill(report: Pick<RedisSelfReport, 'usedMemoryBytes' | 'maxmemoryBytes'>): string | null {
  const parts: string[] = [];
  if (report.maxmemoryBytes !== null && report.maxmemoryBytes > 0) parts.push(`maxmemory ${formatBytes(report.maxmemoryBytes)}`);
  if (report.usedMemoryBytes !== null) parts.push(`used ${formatBytes(report.usedMemoryBytes)}`);
  return parts.length === 0 ? null : parts.join(', ');
}

/** The reason's words for output an agent could not store because Redis was full. */
export function describeOutputDroppedOutOfMemory(droppedBytes: number): string {
  return `output dropped: Redis out of memory (${formatBytes(droppedBytes)} not stored)`;
}

/** The fullest server's report (by used over maxmemory), for a message about Redis being full; null when none answered. */
export function fullestRedis(reports: readonly RedisSelfReport[]): RedisSelfReport | null {
  const fill = (report: RedisSelfReport) =>
    report.usedMemoryBytes !== null && report.maxmemoryBytes ? report.usedMemoryBytes / report.maxmemoryBytes : -1;
  return reports.reduce<RedisSelfReport | null>(
    (fullest, report) => (fullest === null || fill(report) > fill(fullest) ? report : fullest),
    null,
  );
}
