import type { Queue } from 'bullmq';
import { SHARED_QUEUE } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/** BullMQ job data: the id (the agent reads what to run from the job record), and whether it is a thread job. */
export interface QueuedJobData {
  id: number;
  /** Thread jobs wait for one of the agent's thread slots before they are claimed. */
  thread?: boolean;
}

/** The BullMQ job id of a fleet job. BullMQ refuses integer custom ids, hence the letter. */
export function queueJobId(id: number): string {
  return `j${id}`;
}

/**
 * Hands leaf jobs to the BullMQ queue. bullmq is imported on first use so that
 * commands which never dispatch (`get`, `receive`) do not pay for loading it.
 */
export class Dispatcher {
  private queue: Promise<Queue<QueuedJobData>> | null = null;

  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  async dispatch(ids: readonly number[], options: { thread?: boolean } = {}): Promise<void> {
    if (ids.length === 0) return;
    const queue = await this.open();
    // BullMQ ignores an id it already holds, so dispatching twice is harmless;
    // and a job runs only if it can be claimed from NotStarted.
    const data = (id: number): QueuedJobData => (options.thread ? { id, thread: true } : { id });
    await queue.addBulk(ids.map((id) => ({ name: 'run', data: data(id), opts: { jobId: queueJobId(id) } })));
  }

  async close(): Promise<void> {
    if (this.queue !== null) await (await this.queue).close();
  }

  private open(): Promise<Queue<QueuedJobData>> {
    this.queue ??= import('bullmq').then(
      ({ Queue }) =>
        new Queue<QueuedJobData>(SHARED_QUEUE, {
          connection: this.client,
          prefix: this.prefix,
          defaultJobOptions: { attempts: 1, removeOnComplete: true, removeOnFail: true },
        }),
    );
    return this.queue;
  }
}
