import { UsageError } from './errors.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses a duration in seconds: `30`, `1.5`, or with a unit `45s`, `10m`,
 * `12h`, `7d`. Returns milliseconds. `what` names the setting in the error.
 */
export function parseDurationMs(text: string, what: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/.exec(text);
  if (!match) {
    throw new UsageError(`${what}: ${JSON.stringify(text)} is not a duration`, {
      hint: 'give seconds (30, 1.5) or a number with s, m, h or d (10m, 7d)',
    });
  }
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1);
  return Math.round(seconds * 1000);
}

/** Parses a size in bytes: `1048576`, or with a unit `512K`, `16M`, `1G` (powers of 1024). */
export function parseBytes(text: string, what: string): number {
  const match = /^\s*(\d+)\s*([KMG]?)i?B?\s*$/i.exec(text);
  if (!match) {
    throw new UsageError(`${what}: ${JSON.stringify(text)} is not a size`, { hint: 'give bytes, or a number with K, M or G' });
  }
  const factor = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(match[2] ?? '').toUpperCase()] ?? 1;
  return Number(match[1]) * factor;
}
