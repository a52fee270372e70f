import { JobNotFoundError, OutputClosedError, UsageError, type JobRequest, type JobRequestOptions, type JobView } from '@fleet/core';
import type { Argv } from 'yargs';
import { settingsFrom, withContext, type CliContext, type GlobalArgs } from './context.js';
import { EXIT } from './exit-codes.js';
import { formatHostSummary } from './format/host-summary.js';
import { printJobs } from './format/job-output.js';
import { forTerminal } from './format/terminal-text.js';
import { Interrupts } from './interrupts.js';
import { launchJob, type LaunchOptions } from './launch-job.js';
import { outputSinkFromArgs, type OutputSink, type OutputSinkArgs } from './output/output-sink.js';
import { ProgressLine } from './output/progress-line.js';
import { receiveOutput } from './output/receive-output.js';
import { stopJobs } from './stop-jobs.js';

/** What a fan-out command (invoke, push) takes of its own to run its job: wait for it or not, and how to show it. */
export interface FanOutArgs extends GlobalArgs, OutputSinkArgs {
  'as-job': boolean;
  quiet: boolean;
}

/** The flags invoke and push share: the hosts (hostFlags), the job's options, and how to show it. */
export interface FanOutJobArgs extends FanOutArgs {
  'hosts-file'?: string;
  'computer-name'?: string[];
  exclude?: string[];
  inventory?: string[];
  user?: string;
  name?: string;
  throttle?: number;
  'max-errors'?: string;
  batch?: string;
  'rerun-failed'?: string;
  timeout?: number;
  'connect-timeout'?: number;
  group: boolean;
  prefix: boolean;
}

/**
 * The flags push and pull share besides the hosts and the output: -r, -p
 * and the job's options, worded for the verb.
 */
export function transferJobFlags<T>(yargs: Argv<T>, verb: 'push' | 'pull') {
  const Verb = verb === 'push' ? 'Push' : 'Pull';
  return yargs
    .option('recursive', { alias: 'r', type: 'boolean', default: false, describe: `${Verb} directories and everything in them` })
    .option('preserve', { alias: 'p', type: 'boolean', default: false, describe: 'Keep each file’s mode and modification time (scp -p)' })
    .option('name', { type: 'string', describe: 'Name of the job (default Job<id>)' })
    .option('throttle', { type: 'number', describe: 'At most this many hosts at once (default 32)' })
    .option('max-errors', { type: 'string', describe: 'Once more than N (or N%) hosts have failed, stop those not yet started' })
    .option('batch', { type: 'string', describe: `${Verb} in waves of N (or N%) hosts, each once the one before has finished` })
    .option('quiet', { type: 'boolean', default: false, describe: 'No progress line on the terminal' })
    .option('rerun-failed', {
      type: 'string',
      describe: `${Verb} job JOB’s files again, as a new job, ${verb === 'push' ? 'to' : 'from'} exactly the hosts that failed in it`,
    })
    .option('timeout', { alias: 't', type: 'number', describe: `Fail a host whose ${verb} takes longer than this many seconds` })
    .option('connect-timeout', { type: 'number', describe: 'Give up connecting to a host after this many seconds (default 10)' })
    .option('json', { type: 'boolean', default: false, describe: 'JSON: the job with --as-job, else one output record a line' });
}

/** The job options a fan-out takes from its own flags, a rerun included (the rest a rerun takes from its job). */
export function ownJobOptions(
  argv: FanOutJobArgs,
  settings: ReturnType<typeof settingsFrom>,
): Pick<JobRequestOptions, 'name' | 'throttle' | 'maxErrors' | 'batch' | 'retentionMs'> {
  return { name: argv.name, throttle: argv.throttle, maxErrors: argv['max-errors'], batch: argv.batch, retentionMs: settings.retentionMs };
}

/**
 * What a synchronous run does once every child has ended, before the job is
 * removed (a pull writes out its files); false makes the run exit 1.
 */
export type AfterEnd = (context: CliContext, root: JobView, children: JobView[], interrupted: () => boolean) => Promise<boolean>;

/**
 * Runs a fan-out job as invoke and push do: with `--as-job`, creates it and
 * prints it; else follows it to its end (see {@link runToEnd}). `prepare`
 * makes the request once Redis is open (a rerun reads its job, a push stores
 * its content), and may give the ids it reserved for it, `--stdin`'s bytes
 * and the sudo password (`--ask-sudo-pass`). `afterEnd`, for a synchronous
 * run, comes once the children have ended and not after an interruption.
 */
export async function runFanOut(
  argv: FanOutArgs,
  settings: ReturnType<typeof settingsFrom>,
  prepare: (
    context: CliContext,
  ) => Promise<{ request: JobRequest; rootId?: number; input?: LaunchOptions['input']; sudoPassword?: string }>,
  afterEnd?: AfterEnd,
): Promise<void> {
  if (argv['as-job'] && (argv.group || argv.outdir !== undefined || argv.prefix === false || argv.N)) {
    throw new UsageError('--group, --outdir and --no-prefix shape the output of a synchronous run; with --as-job, give them to receive');
  }
  const sink = argv['as-job'] ? null : await outputSinkFromArgs(argv, { fresh: true });
  await withContext(
    argv,
    async (context) => {
      // Caught from before the job exists, so that a Ctrl-C while it is made still stops and removes it.
      const interrupts = sink === null ? null : new Interrupts();
      try {
        const { request, rootId, input, sudoPassword } = await prepare(context);
        const launched = await launchJob(context, request, { followed: sink !== null, rootId, input, sudoPassword });
        if (sink === null || interrupts === null) {
          printJobs([launched.job], { json: argv.json, single: true });
          return;
        }
        // Followed, stopped and removed on the shard it lives on.
        process.exitCode = await runToEnd(launched.context, launched.job, sink, new ProgressLine(argv.quiet), interrupts, afterEnd);
      } finally {
        interrupts?.release();
      }
    },
    settings,
  );
}

/**
 * The synchronous form: streams every host's lines as they arrive, ends with a
 * summary line on stderr, and removes the job. A signal (Ctrl-C, SIGTERM, the
 * terminal closing) stops the job on every host, prints what came meanwhile and
 * the summary, removes the job and ends as the signal would. A closed stdout
 * (`| head`) does the same without a word: nothing more can be printed.
 */
async function runToEnd(
  context: CliContext,
  job: JobView,
  sink: OutputSink,
  progress: ProgressLine,
  interrupts: Interrupts,
  afterEnd?: AfterEnd,
): Promise<number> {
  const { store } = context;
  const parent = await store.jobs.record(job.id);
  if (parent === null) throw new JobNotFoundError(String(job.id));
  let stopping: Promise<unknown> = Promise.resolve();
  let running = true;
  // Once the job has ended there is nothing left to stop; the interruption still decides the exit.
  interrupts.onFirst(() => {
    if (running) stopping = stopJobs(context, [parent]);
  });
  let children: JobView[] | null = null;
  try {
    const received = await receiveOutput(context, [parent], { follow: true, keep: false, recurse: true, sink, progress });
    children = await received.leaves();
  } catch (error) {
    // Once interrupted, output with nowhere to go (stdout closed, or the terminal gone with
    // SIGHUP) must not keep the job from being stopped and removed. Output refused otherwise
    // (an --outdir file someone planted) ends the run too, and leaves no job behind.
    if (interrupts.reason === undefined) {
      running = false;
      await stopJobs(context, [parent]).catch(() => {});
      await store.jobs.remove([parent]).catch(() => {});
      throw error;
    }
  } finally {
    running = false;
  }
  await stopping;
  const quiet = interrupts.reason instanceof OutputClosedError;
  if (children !== null && !quiet) process.stderr.write(`${forTerminal(process.stderr, formatHostSummary(children))}\n`);
  let afterOk = true;
  try {
    if (children !== null && afterEnd !== undefined && interrupts.reason === undefined)
      afterOk = await afterEnd(context, job, children, () => interrupts.reason !== undefined);
  } finally {
    await store.jobs.remove([parent]);
  }
  if (interrupts.reason !== undefined) throw interrupts.reason;
  return afterOk && children?.every((child) => child.state === 'Completed') ? EXIT.ok : EXIT.failed;
}
