import { PassThrough } from 'node:stream';
import { FleetError, parseShardedCursor, UsageError } from '@fleet/core';
import type { FastifyInstance } from 'fastify';
import type { CliContext } from '../context.js';
import { openEventFeed, type EventFeed, type FeedItem } from '../events/event-feed.js';
import { selectJobs } from '../job-shards.js';
import { writeOrWait } from '../output/write-or-wait.js';
import { many, one, type Query } from './api-routes.js';
import { sseComment, sseMessage } from './sse-frame.js';

/**
 * `GET /api/events`: job events as Server-Sent Events (`fleet events`'s
 * feed). `Last-Event-ID` or `?since=` resumes just after that event;
 * `?job=ID` (repeatable) keeps those jobs' trees and adds their output.
 * Everything that can be refused is checked before the first byte (400 bad
 * id or jobs in more than 100 trees, 404 unknown job, 503 Redis away);
 * after it the status is 200 and the stream only ends: when the client
 * goes, or Redis does.
 */
export function registerEventsRoute(app: FastifyInstance, context: CliContext): void {
  app.get('/api/events', async (request, reply) => {
    const query = request.query as Query;
    const header = request.headers['last-event-id'];
    const lastEventId = Array.isArray(header) ? header[0] : header;
    const since = lastEventId || one(query, 'since');
    const cursor = since ? parseShardedCursor(since, lastEventId ? 'Last-Event-ID' : '?since=') : null;
    const jobIds = many(query, 'job').map(jobIdOf);
    const jobs =
      jobIds.length === 0
        ? null
        : await selectJobs(
            context,
            jobIds.map((id) => ({ kind: 'id' as const, id })),
          );
    const gone = new AbortController();
    reply.raw.once('close', () => gone.abort());
    const feed = await openEventFeed(context, { jobs, since: cursor, signal: gone.signal });
    const body = new PassThrough();
    void pump(feed, body, gone.signal);
    // No proxy may hold the stream back to buffer it.
    return reply.type('text/event-stream; charset=utf-8').header('x-accel-buffering', 'no').send(body);
  });
}

/** Writes the feed's items as they come, at the pace the client reads them; ends with the feed. */
async function pump(feed: EventFeed, body: PassThrough, signal: AbortSignal): Promise<void> {
  try {
    body.write(sseComment('fleet events'));
    for await (const batch of feed.batches()) {
      await writeOrWait(body, batch.map(frame).join(''), 'utf8', signal);
    }
  } catch (error) {
    // Redis went away (or the feed failed otherwise): the stream ends, and the client reconnects with its last id.
    const text = error instanceof FleetError ? error.message : 'the event stream failed';
    if (!(error instanceof FleetError))
      process.stderr.write(`fleet serve: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    body.write(sseComment(text));
  }
  body.end();
}

function frame(item: FeedItem): string {
  switch (item.kind) {
    case 'heartbeat':
      return sseComment('heartbeat');
    case 'job':
      return sseMessage({ id: item.cursor, event: item.event.event, data: item.event });
    case 'output':
      return sseMessage({ id: item.cursor, event: 'output', data: item.piece });
    case 'reset':
      return sseMessage({ id: item.cursor, event: 'reset', data: { event: 'reset', reason: item.reason } });
  }
}

function jobIdOf(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new UsageError(`?job=${JSON.stringify(text)} is not a job id`, { hint: 'give ?job=ID once per job' });
  return Number(text);
}
