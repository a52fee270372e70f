import { checkStdinUse, resolveJobRequest, UsageError, type CommandSpec, type FleetSettings, type JobRequest } from '@fleet/core';
import { preloadQueueLibrary } from '@fleet/store';
import type { Argv } from 'yargs';
import { readCommandInput } from '../command-input.js';
import { commandFromArgs, threadCommand } from '../command-args.js';
import { settingsFrom, withContext, type GlobalArgs } from '../context.js';
import { printJobs } from '../format/job-output.js';
import { launchJob } from '../launch-job.js';

export interface StartArgs extends GlobalArgs {
  thread?: boolean;
  eval?: string;
  name?: string;
  workdir?: string;
  script?: string;
  argv?: boolean;
  env?: string[];
  timeout?: number;
  stdin?: boolean;
  json: boolean;
  '--'?: string[];
}

const builder = (yargs: Argv<GlobalArgs>) =>
  yargs
    .usage(
      '$0 start [--name N] [--workdir D] (--script FILE | -- CMD [ARG...])\n$0 start --thread [--name N] (--eval JS | --script MODULE.mjs) [-- ARG...]',
    )
    .option('thread', { type: 'boolean', describe: 'Run JavaScript in a worker thread of an agent (Start-ThreadJob)' })
    .option('eval', { type: 'string', describe: 'With --thread: the body of an async function of { args, emit }' })
    .option('name', { type: 'string', describe: 'Name of the job (default Job<id>)' })
    .option('workdir', { type: 'string', describe: 'Working directory (default: your home directory)' })
    .option('script', {
      alias: 'file-path',
      type: 'string',
      describe: 'Run this script (with --thread: an ES module whose default export is an async function); words after -- are its arguments',
    })
    .option('env', { type: 'string', array: true, nargs: 1, describe: 'Set an environment variable, K=V (repeatable)' })
    .option('argv', {
      type: 'boolean',
      describe:
        'Quote each word after -- so that it arrives as one argument, byte for byte, instead of joining the words with spaces as ssh does',
    })
    .option('timeout', { type: 'number', describe: 'Fail the job if it runs longer than this many seconds' })
    .option('stdin', {
      type: 'boolean',
      describe: "Read standard input to its end and give it to the command; without it, the command's input is closed",
    })
    .option('json', { type: 'boolean', default: false, describe: 'Print the job as JSON' })
    .example('$0 start -- tar czf /tmp/home.tgz .', 'archive your home directory in the background')
    .example('$0 start --name backup --script ./backup.sh -- --full', 'run a script with arguments')
    .example(`$0 start --thread --eval 'return { pid: process.pid, args }' -- a b`, 'a thread job whose result is an object');

async function handler(argv: StartArgs, thread: boolean): Promise<void> {
  preloadQueueLibrary().catch(() => {}); // dispatching needs BullMQ: load it meanwhile (a failure shows there)
  if (argv.stdin) checkStdinUse({ script: argv.script, thread });
  const settings = settingsFrom(argv);
  const request = await startRequest(argv, thread, settings);
  const input = argv.stdin ? await readCommandInput(settings.maxStdinBytes) : null;
  const { job } = await withContext(argv, (context) => launchJob(context, request, { input }), settings);
  printJobs([job], { json: argv.json, single: true });
}

/** The job a `start` makes: checked, with defaults applied, before Redis is opened. */
export async function startRequest(argv: StartArgs, thread: boolean, settings: FleetSettings): Promise<JobRequest> {
  const rest = argv['--'] ?? [];
  const command = thread ? await threadCommand(argv.eval, argv.script, rest, 'fleet start --thread') : await processCommand(argv, rest);
  return resolveJobRequest({
    type: thread ? 'thread' : 'process',
    command,
    name: argv.name,
    workdir: argv.workdir,
    env: argv.env,
    timeoutSeconds: argv.timeout,
    maxOutputBytes: settings.maxOutputBytes,
    retentionMs: settings.retentionMs,
  });
}

function processCommand(argv: StartArgs, rest: string[]): Promise<CommandSpec> {
  if (argv.eval !== undefined) throw new UsageError('--eval goes with --thread', { hint: `fleet start --thread --eval 'return 1 + 1'` });
  return commandFromArgs(argv.script, rest, { argv: argv.argv === true });
}

export const startCommand = {
  command: 'start',
  aliases: ['start-job'],
  describe: 'Start a background job on this machine (Start-Job, or Start-ThreadJob with --thread)',
  builder,
  handler: (argv: StartArgs) => handler(argv, argv.thread === true),
};

export const startThreadJobCommand = {
  command: 'start-threadjob',
  describe: 'Start a thread job: the same as start --thread (Start-ThreadJob)',
  builder,
  handler: (argv: StartArgs) => handler(argv, true),
};
