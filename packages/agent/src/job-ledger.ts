import { DEFAULTS, type ContentManifest, type Outcome } from '@fleet/core';
import type { PullSink } from './pull-recorder.js';
import { OutputWriter, type ClaimedJob, type FleetStore } from '@fleet/store';
import { TransferMeter } from './transfer-meter.js';
import { VerifiedChunkCache } from './verified-chunk-cache.js';

/** Where one job's output goes while it runs: buffered bytes and records, written out by `flush`, and the count the cap is held to. */
export type JobOutput = Pick<OutputWriter, 'writeBytes' | 'write' | 'flush' | 'recount' | 'unreceivedBytes' | 'bytesDroppedOutOfMemory'>;

/**
 * What a {@link JobRunner} needs of the store, and no more: a job's claim,
 * its output, the content it reads (`--stdin`), its end, and the dispatch of
 * the siblings its slot frees. The agent passes {@link storeLedger}; a test
 * passes a few lines of fake.
 */
export interface JobLedger {
  /** Claims a queued job for this agent; null when it must not run here (already claimed, stopped, removed). */
  claim(id: number, agentId: string): Promise<ClaimedJob | null>;
  /** Records how a claimed job ended; returns the ids of the pending siblings now due. */
  finish(id: number, outcome: Outcome, agentId: string): Promise<number[]>;
  /** Hands jobs to the queue. */
  dispatch(ids: readonly number[]): Promise<void>;
  /** A writer for a claimed job's output. */
  output(claimed: ClaimedJob): JobOutput;
  /** Content stored for a top-level job, read a chunk at a time, each checked against the manifest. */
  content(rootId: number, manifest: ContentManifest): AsyncIterable<Buffer>;
  /** Where a claimed pull child keeps what it brings back (absent: pulls fail). */
  pulled?(claimed: ClaimedJob): PullSink;
  /** Counts bytes a transfer (push, pull) moved for a top-level job, for its progress line; reported in batches, never awaited. */
  transferred(rootId: number, bytes: number): void;
  /** Reports at once what {@link transferred} holds for a job, as one of its children ends: its count is then whole. */
  flushTransferred(rootId: number): Promise<void>;
}

/**
 * The ledger over a store: Redis transitions, the dispatcher, an
 * {@link OutputWriter} per job, content read through one cache of checked
 * chunks shared by all the agent's children, and the bytes transfers moved.
 */
export function storeLedger(store: FleetStore, chunkCacheBytes: number = DEFAULTS.agentChunkCacheBytes): JobLedger {
  const chunks = new VerifiedChunkCache(store.chunks.verifiedChunk, chunkCacheBytes);
  const meter = new TransferMeter((rootId, bytes) => store.jobs.addTransferred(rootId, bytes));
  return {
    claim: (id, agentId) => store.transitions.claim(id, agentId),
    finish: (id, outcome, agentId) => store.transitions.finish(id, outcome, agentId),
    dispatch: (ids) => store.dispatcher.dispatch(ids),
    output: (claimed) => new OutputWriter(store, { jobId: claimed.id, rootId: claimed.rootId, host: claimed.location }),
    content: (rootId, manifest) => store.chunks.read(rootId, manifest, chunks.chunk),
    transferred: (rootId, bytes) => meter.add(rootId, bytes),
    flushTransferred: (rootId) => meter.flushJob(rootId),
    pulled: ({ rootId, id }) => ({
      putChunk: (chunk) => store.chunks.putOwned(rootId, chunk),
      putEntry: (index, entry) => store.pulled.record(rootId, id, index, entry),
      seal: (count) => store.pulled.seal(rootId, id, count),
      drop: (count) => store.pulled.drop(rootId, id, count),
    }),
  };
}
