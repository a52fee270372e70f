/**
 * How an agent remembers the signed jobs it ran, so that none runs twice
 * (a Redis writer can put a finished job back in the queue; its signature
 * stays valid until it expires). One entry per signed job, named from the
 * signature so that every agent sharing the state directory computes the
 * same name and only one of them can create it: `<expiresAt>-<digest>`,
 * where the digest is the SHA-256 of the signed bytes (see verifyJob). The
 * expiry leads so that pruning reads names, not files.
 */

/** How long past its expiry an entry is kept, so that no check racing with a prune at the expiry can miss it. */
export const RAN_RECORD_GRACE_MS = 60_000;

export function ranRecordName(expiresAt: number, digest: string): string {
  if (!Number.isSafeInteger(expiresAt) || expiresAt < 0) throw new Error(`not an expiry: ${expiresAt}`);
  if (!/^[0-9a-f]{64}$/.test(digest)) throw new Error(`not a SHA-256 digest: ${digest}`);
  return `${expiresAt}-${digest}`;
}

/** Whether the entry `name` may go: its job can no longer start anywhere. Names fleet did not write are left alone. */
export function ranRecordExpired(name: string, now: number): boolean {
  const match = /^(\d{1,16})-[0-9a-f]{64}$/.exec(name);
  return match !== null && Number(match[1]) + RAN_RECORD_GRACE_MS < now;
}

/** What an entry says about the run it records (for `refused: already run`). */
export interface PriorRun {
  agentId: string;
  jobId: number;
  /** ISO time it was recorded, just before it ran. */
  at: string;
}

export function formatPriorRun(run: PriorRun): string {
  return JSON.stringify(run);
}

/** Reads an entry's text; an entry caught half written, or not fleet's, says nothing. */
export function parsePriorRun(text: string): PriorRun | null {
  try {
    const value = JSON.parse(text) as Partial<PriorRun>;
    if (typeof value.agentId !== 'string' || typeof value.jobId !== 'number' || typeof value.at !== 'string') return null;
    return { agentId: value.agentId, jobId: value.jobId, at: value.at };
  } catch {
    return null;
  }
}

/** The reason a replayed job fails with. */
export function alreadyRunReason(prior: PriorRun | null): string {
  return prior === null ? 'refused: already run' : `refused: already run (job ${prior.jobId}, by agent ${prior.agentId} at ${prior.at})`;
}
