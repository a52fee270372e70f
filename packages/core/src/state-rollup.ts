import type { JobState } from './job-state.js';

/** How many children a parent has, and how many of them ended in each way. */
export interface ChildCounts {
  total: number;
  completed: number;
  failed: number;
  stopped: number;
}

/**
 * A parent's state from its children's (SPEC §2): Running while any child has
 * not finished; then Failed if any failed, else Stopped if any was stopped,
 * else Completed.
 */
export function rollUpState(counts: ChildCounts): JobState {
  const finished = counts.completed + counts.failed + counts.stopped;
  if (finished < counts.total) return 'Running';
  if (counts.failed > 0) return 'Failed';
  if (counts.stopped > 0) return 'Stopped';
  return 'Completed';
}

/** A parent's `reason`: which share of its children did not complete, or null. */
export function rollUpReason(counts: ChildCounts): string | null {
  if (rollUpState(counts) === 'Running') return null;
  const parts: string[] = [];
  if (counts.failed > 0) parts.push(`${counts.failed} failed`);
  if (counts.stopped > 0) parts.push(`${counts.stopped} stopped`);
  if (parts.length === 0) return null;
  return `${parts.join(', ')} of ${counts.total} ${counts.total === 1 ? 'child' : 'children'}`;
}
