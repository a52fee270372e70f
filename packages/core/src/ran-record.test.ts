import { describe, expect, it } from 'vitest';
import { alreadyRunReason, formatPriorRun, parsePriorRun, RAN_RECORD_GRACE_MS, ranRecordExpired, ranRecordName } from './ran-record.js';

const digest = 'ab'.repeat(32);

describe('ran records', () => {
  it('are named by expiry and digest, the same for every agent', () => {
    expect(ranRecordName(1_800_000_000_000, digest)).toBe(`1800000000000-${digest}`);
    expect(() => ranRecordName(1.5, digest)).toThrow(/expiry/);
    expect(() => ranRecordName(1, '../x')).toThrow(/digest/);
  });

  it('expire a grace period after their signature, and leave names fleet did not write alone', () => {
    const name = ranRecordName(1000, digest);
    expect(ranRecordExpired(name, 1000 + RAN_RECORD_GRACE_MS)).toBe(false);
    expect(ranRecordExpired(name, 1001 + RAN_RECORD_GRACE_MS)).toBe(true);
    expect(ranRecordExpired('1000-notes.txt', Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(ranRecordExpired(`.${name}.tmp`, Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('say which run came first, and nothing for an entry caught half written', () => {
    const prior = { agentId: 'h-1-abc', jobId: 8, at: '2026-12-01T00:00:00.000Z' };
    expect(parsePriorRun(formatPriorRun(prior))).toEqual(prior);
    expect(parsePriorRun('')).toBeNull();
    expect(parsePriorRun('{"agentId":1}')).toBeNull();
    expect(alreadyRunReason(prior)).toBe('refused: already run (job 8, by agent h-1-abc at 2026-12-01T00:00:00.000Z)');
    expect(alreadyRunReason(null)).toBe('refused: already run');
  });
});
