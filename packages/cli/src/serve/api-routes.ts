import { PassThrough } from 'node:stream';
import { foldFailures, foldOutputGroups, UsageError } from '@fleet/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkState, selectorsFromArgs } from '../command-args.js';
import { requestFromArgs } from '../commands/invoke.js';
import { startRequest } from '../commands/start.js';
import type { CliContext } from '../context.js';
import { ownJobOptions } from '../fan-out-run.js';
import { checkHost } from '../job-host-check.js';
import { listJobs } from '../job-listing.js';
import { reapAndSelectAll } from '../job-shards.js';
import { launchJob } from '../launch-job.js';
import { StdoutGatherer } from '../output/output-grouper.js';
import { receiveOutput } from '../output/receive-output.js';
import { RecordPrinter } from '../output/record-printer.js';
import { removeJobs } from '../remove-jobs.js';
import { rerunFailedRequest } from '../rerun-failed.js';
import { stopJobs } from '../stop-jobs.js';
import { jobRequestArgs } from './job-request-body.js';

export type Query = Record<string, string | string[] | undefined>;

/**
 * The API (SPEC §10): each route does what its CLI command does, through the
 * same functions, and answers with the same JSON (`--json`'s shapes).
 */
export function registerApiRoutes(app: FastifyInstance, context: CliContext): void {
  const { store, settings } = context;

  // `fleet get [JOB...] [--state S] [--children] --json`; ?name= repeats as JOB does.
  app.get('/api/jobs', async (request) => {
    const query = request.query as Query;
    const state = one(query, 'state');
    const records = await listJobs(context, {
      selectors: selectorsFromArgs(many(query, 'name')),
      state: state === undefined ? undefined : checkState(state),
      children: flag(query, 'children'),
    });
    return records.map((record) => record.view);
  });

  // `fleet get ID --children --json`: the job, then its children.
  app.get('/api/jobs/:id', async (request) => {
    const records = await listJobs(context, { selectors: jobIdFrom(request), children: true });
    return records.map((record) => record.view);
  });

  // `fleet receive ID [--keep] [--host H] [--no-recurse] --json`: NDJSON records.
  app.get('/api/jobs/:id/output', async (request, reply) => {
    const query = request.query as Query;
    const host = one(query, 'host');
    const recurse = one(query, 'recurse') === undefined ? true : flag(query, 'recurse');
    const selected = await reapAndSelectAll(context, jobIdFrom(request));
    if (host !== undefined && recurse) await checkHost(context, selected, host);
    // Checked before the first byte: from here on the status is 200 and an error can only cut the stream.
    const body = new PassThrough();
    const printer = new RecordPrinter({ json: true, prefix: true, streams: { stdout: body, stderr: body } });
    receiveOutput(context, selected, {
      follow: false,
      keep: flag(query, 'keep'),
      host,
      recurse,
      sink: { emit: printer.emit, finish: () => printer.finish() },
    }).then(
      () => body.end(),
      (error: unknown) => body.destroy(error instanceof Error ? error : new Error(String(error))),
    );
    return reply.type('application/x-ndjson; charset=utf-8').send(body);
  });

  // `fleet receive ID --keep --group`, as JSON: each distinct stdout once under its hosts folded, then the failures by reason.
  app.get('/api/jobs/:id/groups', async (request) => {
    const selected = await reapAndSelectAll(context, jobIdFrom(request));
    // Stderr is not grouped (clush -b prints it as it comes): a host's own output shows it.
    const gatherer = new StdoutGatherer(() => undefined);
    const received = await receiveOutput(context, selected, {
      follow: false,
      keep: true,
      recurse: true,
      sink: { emit: gatherer.emit, finish: () => Promise.resolve() },
    });
    const { groups, failures } = gatherer.group(await received.leaves(), (location) => location);
    return {
      // Grouped on the bytes; decoded only to be shown, as a terminal decodes them.
      groups: foldOutputGroups(groups).map((group) => ({ ...group, text: Buffer.from(group.text, 'latin1').toString('utf8') })),
      failures: foldFailures(failures),
    };
  });

  // What the progress line counts, for every top-level job: its leaves completed, failed, stopped, running, of total.
  app.get('/api/progress', async () => {
    return (await listJobs(context, { selectors: [], children: false })).map(({ view, progress }) => ({
      id: view.id,
      total: progress.total,
      completed: progress.completed,
      failed: progress.failed,
      stopped: progress.stopped,
      running: progress.running,
    }));
  });

  // `fleet stop ID`: 202 once the stop is signalled, with the job as it stands (GET it to see it end).
  app.post('/api/jobs/:id/stop', async (request, reply) => {
    const signalled = await stopJobs(context, await reapAndSelectAll(context, jobIdFrom(request)), { wait: false });
    return reply.status(202).send(signalled.map((record) => record.view));
  });

  // `fleet remove ID [--force]`.
  app.delete('/api/jobs/:id', async (request, reply) => {
    const records = await reapAndSelectAll(context, jobIdFrom(request));
    // A forced removal waits for the stop, but not for a client that has gone.
    await removeJobs(context, records, { force: flag(request.query as Query, 'force'), signal: whileConnected(reply) });
    return reply.status(204).send();
  });

  // `fleet agents --json`.
  app.get('/api/agents', () => store.agents.list());

  // `fleet invoke HOSTS --as-job --json -- CMD` with hosts, `fleet start --json -- CMD` without.
  app.post('/api/jobs', async (request, reply) => {
    const asked = jobRequestArgs(request.body);
    const { job } =
      asked.kind === 'invoke'
        ? await launchJob(context, await requestFromArgs(asked.args, ownJobOptions(asked.args, settings), settings.maxOutputBytes))
        : await launchJob(context, await startRequest(asked.args, false, settings));
    return reply.status(201).send(job);
  });

  // `fleet invoke --rerun-failed ID --as-job --json`: the hosts whose child failed, as a new job, the command checked against its signatures.
  app.post('/api/jobs/:id/rerun-failed', async (request, reply) => {
    const [selector] = jobIdFrom(request);
    const asked = await rerunFailedRequest(context, String(selector.id), { retentionMs: settings.retentionMs });
    if (asked.request.run.sudo?.askPassword === true) {
      throw new UsageError(`job ${selector.id} ran with --ask-sudo-pass: the server has no terminal to ask for the password`, {
        hint: `fleet invoke --rerun-failed ${selector.id} asks for it`,
      });
    }
    const { job } = await launchJob(context, asked.request, { input: asked.input });
    return reply.status(201).send(job);
  });
}

/** A signal aborted once the response's connection closes before the answer is sent. */
function whileConnected(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('the client went away'));
  });
  return controller.signal;
}

/** `:id` as a selector: an integer; names are for `?name=` of the list. */
function jobIdFrom(request: FastifyRequest): [{ kind: 'id'; id: number }] {
  const { id } = request.params as { id: string };
  if (!/^\d{1,15}$/.test(id)) {
    throw new UsageError(`${JSON.stringify(id)} is not a job id`, { hint: 'GET /api/jobs?name=NAME selects jobs by name' });
  }
  return [{ kind: 'id', id: Number(id) }];
}

export function many(query: Query, key: string): string[] {
  const value = query[key];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export function one(query: Query, key: string): string | undefined {
  const values = many(query, key);
  if (values.length > 1) throw new UsageError(`?${key} is given ${values.length} times`, { hint: `give ?${key}= once` });
  return values[0];
}

/** `?keep`, `?keep=true` or `?keep=1` is true; absent, `false` or `0` is false. */
function flag(query: Query, key: string): boolean {
  const value = one(query, key);
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value === '' || value === 'true' || value === '1') return true;
  throw new UsageError(`?${key}=${value} is not true or false`);
}
