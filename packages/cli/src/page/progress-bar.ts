import type { JobProgress } from './api-shapes.js';

export type SegmentKind = 'done' | 'failed' | 'running' | 'waiting';

export interface ProgressSegment {
  kind: SegmentKind;
  count: number;
  /** Of the bar's width, 0 to 100. */
  percent: number;
}

/**
 * The bar's parts, in the order the progress line names them: done, failed
 * (stopped counted with them: neither completed), running, waiting; each
 * part's width its share of all the leaves.
 */
export function progressSegments(progress: JobProgress): ProgressSegment[] {
  const counts: [SegmentKind, number][] = [
    ['done', progress.completed],
    ['failed', progress.failed + progress.stopped],
    ['running', progress.running],
    ['waiting', Math.max(0, progress.total - progress.completed - progress.failed - progress.stopped - progress.running)],
  ];
  return counts.map(([kind, count]) => ({ kind, count, percent: progress.total === 0 ? 0 : (count / progress.total) * 100 }));
}

/** `3 done · 1 failed · 2 running · 4 waiting of 10`. */
export function progressLabel(progress: JobProgress): string {
  const parts = progressSegments(progress).map((segment) => `${segment.count} ${segment.kind}`);
  return `${parts.join(' · ')} of ${progress.total}`;
}

/** The progress of a job whose children are all listed (`GET /api/jobs/ID`): its children counted by state. */
export function childrenProgress(id: number, children: readonly { state: string }[]): JobProgress {
  const count = (state: string) => children.filter((child) => child.state === state).length;
  return {
    id,
    total: children.length,
    completed: count('Completed'),
    failed: count('Failed'),
    stopped: count('Stopped'),
    running: count('Running'),
  };
}
