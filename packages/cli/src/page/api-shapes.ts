// The API's answers as the page reads them (README, "fleet serve and the HTTP API"): the SPEC's shapes, typed
// by the packages that make them. Types only: nothing of Node reaches the page's bundle.
import type { EndRecord, FoldedOutputGroup, LeafProgress, LineRecord, OutputRecord as ValueRecord, ReasonGroup } from '@fleet/core';

export type { JobState, JobView as Job } from '@fleet/core';

/** One record of `GET /api/jobs/ID/output` (SPEC §3, §11): a line, why a job failed, a thread job's value, or a host's end. */
export type OutputRecord = LineRecord | EndRecord | (ValueRecord & { stream: 'error' | 'output' });
export type { AgentInfo as Agent } from '@fleet/store';

/** `GET /api/progress`: a top-level job's leaves by where they stand. */
export type JobProgress = Omit<LeafProgress, 'bytes'> & { id: number };

/** `GET /api/jobs/ID/groups`: `receive --group` as data. */
export interface GroupedOutput {
  groups: FoldedOutputGroup[];
  failures: ReasonGroup[];
}
