// A bare BullMQ worker for bench/control-plane.ts: it takes jobs from one
// queue and does nothing with them, at the concurrency fleet's agent uses.
// Run as a process of its own, as an agent is; SIGTERM closes it.
// Arguments: REDIS_URL QUEUE CONCURRENCY.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const [url, queue, concurrency] = process.argv.slice(2);
const connection = new Redis(url as string, { maxRetriesPerRequest: null });
const worker = new Worker(queue as string, async () => {}, { connection, concurrency: Number(concurrency) });
await worker.waitUntilReady();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void worker.close().then(() => {
    connection.disconnect();
    process.exit(0);
  });
});
