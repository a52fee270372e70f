import {
  isJobState,
  leafProgress,
  orderJobView,
  rollUpReason,
  rollUpState,
  type ChildCounts,
  type JobType,
  type JobView,
  type LeafProgress,
  type TransferBytes,
} from '@fleet/core';

/**
 * A job as its Redis hash holds it. Leaves (children and `start` jobs) store
 * their state; a parent stores how many children ended in each way, and its
 * state is rolled up from those counts when read.
 */
export interface JobRecord {
  view: JobView;
  /** The id of the top-level job this one belongs to (itself when it has no parent). */
  rootId: number;
  isParent: boolean;
  /** Id of the agent running (or that ran) this leaf. */
  agentId: string | null;
  stopRequested: boolean;
  /** Which way a leaf went: `local`, `ssh`, `agent <id>` (run by the agent on its node), or why it changed. */
  via: string | null;
  /** How the leaves under this job stand (itself, for a leaf): what a progress line counts. */
  progress: LeafProgress;
}

/** Fields written when a job is created. */
export interface NewJobFields {
  id: number;
  name: string;
  type: JobType;
  location: string;
  command: string;
  parentId: number | null;
  childIds: number[];
  createdAt: string;
  /** The run spec as JSON text, stored once on the top-level job; signatures cover these exact bytes. */
  spec?: string;
  /** A leaf's signature (see `signJob`), which agents check before running it. */
  signature?: string;
  /** How long the job is kept once finished, stored on the top-level job. */
  retentionMs?: number;
  /**
   * A parent's dispatch rules, read by the transition script as children end
   * (see JobRequest); `waveEnd` is where the first wave ends (see planFanOut).
   */
  fanOut?: { throttle: number; maxErrors: number | null; waveSize: number | null; waveEnd: number | null };
  /**
   * A transfer's bytes (push, pull), stored on the parent: `bytesDone`,
   * which agents add to as they move content (JobStore.addTransferred), and
   * `bytesTotal` when it is known in advance.
   */
  transfer?: TransferBytes | undefined;
}

export function newJobHash(fields: NewJobFields): Record<string, string> {
  const isParent = fields.childIds.length > 0;
  const hash: Record<string, string> = {
    id: String(fields.id),
    name: fields.name,
    type: fields.type,
    location: fields.location,
    command: fields.command,
    parentId: fields.parentId === null ? '' : String(fields.parentId),
    childIds: isParent ? JSON.stringify(fields.childIds) : '',
    createdAt: fields.createdAt,
    unread: '0',
  };
  if (isParent) {
    Object.assign(hash, {
      kind: 'parent',
      beganAt: fields.createdAt,
      total: String(fields.childIds.length),
      completed: '0',
      failed: '0',
      stopped: '0',
      unreadTotal: '0',
    });
  } else {
    Object.assign(hash, { kind: 'leaf', state: 'NotStarted' });
  }
  if (fields.spec !== undefined) hash.spec = fields.spec;
  if (fields.signature !== undefined) hash.signature = fields.signature;
  if (fields.retentionMs !== undefined) hash.retention = String(Math.max(1, Math.round(fields.retentionMs / 1000)));
  if (fields.fanOut !== undefined) {
    const { throttle, maxErrors, waveSize, waveEnd } = fields.fanOut;
    hash.throttle = String(throttle);
    if (maxErrors !== null) hash.maxErrors = String(maxErrors);
    // The transition script moves the wave on as children end.
    if (waveSize !== null) Object.assign(hash, { waveSize: String(waveSize), waveEnd: String(waveEnd ?? fields.childIds.length) });
  }
  if (fields.transfer !== undefined) {
    hash.bytesDone = String(fields.transfer.done);
    if (fields.transfer.total !== null) hash.bytesTotal = String(fields.transfer.total);
  }
  return hash;
}

/**
 * The fields every child of one fan-out shares; the transition script adds
 * each child's own `id`, `name`, `location` and `signature` as it creates them.
 */
export function childTemplateHash(fields: { command: string; parentId: number; createdAt: string }): Record<string, string> {
  const {
    id: _id,
    name: _name,
    location: _location,
    ...shared
  } = newJobHash({
    ...fields,
    id: 0,
    name: '',
    type: 'remote',
    location: '',
    childIds: [],
  });
  return shared;
}

/** Reads a job hash; returns null for a hash that is gone or not a job. */
export function parseJobHash(hash: Record<string, string>): JobRecord | null {
  if (hash.id === undefined || hash.kind === undefined) return null;
  const id = Number(hash.id);
  const isParent = hash.kind === 'parent';
  const parentId = hash.parentId ? Number(hash.parentId) : null;
  let state = hash.state ?? 'NotStarted';
  let reason = emptyToNull(hash.reason);
  let counts: ChildCounts | null = null;
  if (isParent) {
    counts = {
      total: Number(hash.total ?? 0),
      completed: Number(hash.completed ?? 0),
      failed: Number(hash.failed ?? 0),
      stopped: Number(hash.stopped ?? 0),
    };
    state = rollUpState(counts);
    reason = rollUpReason(counts);
  }
  const view: JobView = orderJobView({
    id,
    name: hash.name ?? '',
    type: (hash.type ?? 'process') as JobType,
    state: isJobState(state) ? state : 'NotStarted',
    hasMoreData: Number(isParent ? (hash.unreadTotal ?? 0) : 0) + Number(hash.unread ?? 0) > 0,
    location: hash.location ?? '',
    command: hash.command ?? '',
    parentId,
    childIds: hash.childIds ? (JSON.parse(hash.childIds) as number[]) : [],
    beganAt: emptyToNull(hash.beganAt),
    endedAt: emptyToNull(hash.endedAt),
    exitCode: hash.exitCode ? Number(hash.exitCode) : null,
    reason,
  });
  return {
    view,
    rootId: parentId ?? id,
    isParent,
    agentId: emptyToNull(hash.agentId),
    stopRequested: hash.stopRequested === '1',
    via: emptyToNull(hash.via),
    // `running` is counted by the claim and finish transitions; parents from before it have none.
    progress:
      counts === null ? leafProgress(view.state) : { ...counts, running: Math.max(0, Number(hash.running ?? 0)), ...transferOf(hash) },
  };
}

/** A parent's bytes moved so far (see NewJobFields.transfer), for a transfer job. */
function transferOf(hash: Record<string, string>): { bytes?: TransferBytes } {
  if (hash.bytesDone === undefined) return {};
  const total = hash.bytesTotal === undefined ? null : Number(hash.bytesTotal);
  return { bytes: { done: Math.max(0, Number(hash.bytesDone) || 0), total: total !== null && Number.isFinite(total) ? total : null } };
}

function emptyToNull(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}
