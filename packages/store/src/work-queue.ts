import type { RedisClient } from './redis-connection.js';

/** BullMQ job data: the id (the agent reads what to run from the job record), and whether it is a thread job. */
export interface QueuedJobData {
  id: number;
  /** Thread jobs wait for one of the agent's thread slots before they are claimed. */
  thread?: boolean;
}

/** The part of a BullMQ queue the dispatcher uses. */
export interface WorkQueue {
  /** Queues jobs; an id the queue already holds is ignored. */
  addBulk(jobs: readonly QueuedJobData[]): Promise<void>;
  close(): Promise<void>;
}

/** The BullMQ job id of a fleet job. BullMQ refuses integer custom ids, hence the letter. */
export function queueJobId(id: number): string {
  return `j${id}`;
}

let queueLibrary: Promise<typeof import('bullmq')> | null = null;

/**
 * Starts loading BullMQ (2 MB of JavaScript) without waiting for it, so that a
 * command about to dispatch overlaps that load with its Redis round trips.
 * Commands that never dispatch never load it.
 */
export function preloadQueueLibrary(): Promise<typeof import('bullmq')> {
  queueLibrary ??= import('bullmq');
  return queueLibrary;
}

/** Opens the BullMQ queue `name` on this connection and prefix; `eventsMaxLen` bounds its event stream (BullMQ's default 10,000). */
export async function openBullQueue(
  client: RedisClient,
  prefix: string,
  name: string,
  { eventsMaxLen }: { eventsMaxLen?: number } = {},
): Promise<WorkQueue> {
  const { Queue } = await preloadQueueLibrary();
  const queue = new Queue<QueuedJobData>(name, {
    connection: client,
    prefix,
    defaultJobOptions: { attempts: 1, removeOnComplete: true, removeOnFail: true },
    ...(eventsMaxLen === undefined ? {} : { streams: { events: { maxLen: eventsMaxLen } } }),
  });
  // Without a listener BullMQ console.errors each failed reconnection: in a long-running
  // `fleet serve`, a stack on stderr per attempt while Redis is away. The dispatch that
  // fails says so where it matters.
  queue.on('error', () => {});
  return {
    addBulk: async (jobs) => {
      await queue.addBulk(jobs.map((data) => ({ name: 'run', data, opts: { jobId: queueJobId(data.id) } })));
    },
    close: () => queue.close(),
  };
}

/** Removes a BullMQ queue and whatever it still holds (an agent's own queue, once the agent is gone). */
export async function removeBullQueue(client: RedisClient, prefix: string, name: string): Promise<void> {
  const { Queue } = await preloadQueueLibrary();
  // skipMetasUpdate: opening it to remove it must not write its meta first.
  const queue = new Queue(name, { connection: client, prefix, skipMetasUpdate: true });
  queue.on('error', () => {});
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
}
