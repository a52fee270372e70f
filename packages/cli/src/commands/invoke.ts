import { resolveJobRequest, type JobView } from '@fleet/core';
import { preloadQueueLibrary } from '@fleet/store';
import type { Argv } from 'yargs';
import { commandFromArgs, hostsFromArgs } from '../command-args.js';
import { settingsFrom, withContext, type CliContext, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatHostSummary } from '../format/host-summary.js';
import { printJobs } from '../format/job-output.js';
import { launchJob } from '../launch-job.js';
import { OutputPump } from '../output-pump.js';
import { recordPrinter } from '../print-records.js';
import { stopJobs } from '../stop-jobs.js';

interface InvokeArgs extends GlobalArgs {
  'hosts-file'?: string;
  'computer-name'?: string[];
  'as-job': boolean;
  name?: string;
  throttle?: number;
  timeout?: number;
  'connect-timeout'?: number;
  workdir?: string;
  env?: string[];
  script?: string;
  json: boolean;
  '--'?: string[];
}

export const invokeCommand = {
  command: 'invoke',
  aliases: ['invoke-command'],
  describe: 'Run a command on many hosts, one child job per host (Invoke-Command)',
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .usage('$0 invoke (-f FILE | -c HOSTS) [options] (--script FILE | -- CMD [ARG...])')
      .option('hosts-file', { alias: 'f', type: 'string', describe: 'Hosts, one a line ([user@]host[:port]); - reads standard input' })
      .option('computer-name', { alias: 'c', type: 'string', array: true, describe: 'Hosts separated by commas' })
      .option('as-job', { type: 'boolean', default: false, describe: 'Return the job at once instead of waiting (Invoke-Command -AsJob)' })
      .option('name', { type: 'string', describe: 'Name of the job (default Job<id>)' })
      .option('throttle', { type: 'number', describe: 'At most this many hosts at once (default 32)' })
      .option('timeout', { type: 'number', describe: 'Fail a host whose command runs longer than this many seconds' })
      .option('connect-timeout', { type: 'number', describe: 'Give up connecting to a host after this many seconds (default 10)' })
      .option('workdir', { type: 'string', describe: 'Working directory on each host (default: the home directory)' })
      .option('env', { type: 'string', array: true, describe: 'Set an environment variable, K=V (repeatable)' })
      .option('script', { alias: 'file-path', type: 'string', describe: 'Send this local script and run it on each host' })
      .option('json', { type: 'boolean', default: false, describe: 'JSON: the job with --as-job, else one output record a line' })
      .example('$0 invoke -f computers.txt -- uname -a', 'run uname -a on every host and print HOST: line')
      .example('$0 invoke -c web1,web2 --as-job --name patch -- apt-get -y upgrade', 'start a fan-out and come back later'),
  handler: async (argv: InvokeArgs) => {
    preloadQueueLibrary().catch(() => {}); // dispatching needs BullMQ: load it meanwhile (a failure shows there)
    const hosts = await hostsFromArgs(argv['hosts-file'], argv['computer-name']);
    const command = await commandFromArgs(argv.script, argv['--'] ?? []);
    const settings = settingsFrom(argv);
    const request = resolveJobRequest({
      type: 'remote',
      command,
      hosts,
      name: argv.name,
      workdir: argv.workdir,
      env: argv.env,
      timeoutSeconds: argv.timeout,
      maxOutputBytes: settings.maxOutputBytes,
      retentionMs: settings.retentionMs,
      connectTimeoutSeconds: argv['connect-timeout'],
      throttle: argv.throttle,
    });
    await withContext(argv, async (context) => {
      const job = await launchJob(context, request);
      if (argv['as-job']) {
        printJobs([job], { json: argv.json, single: true });
        return;
      }
      process.exitCode = await runToEnd(context, job, argv.json);
    }, settings);
  },
};

/**
 * The synchronous form: streams every host's lines as they arrive, ends with a
 * summary line on stderr, and removes the job. Ctrl-C stops the job on every
 * host before leaving.
 */
async function runToEnd(context: CliContext, job: JobView, json: boolean): Promise<number> {
  const { store } = context;
  const parent = await store.jobs.record(job.id);
  if (parent === null) throw new Error(`job ${job.id} disappeared`);
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    void stopJobs(context, [parent]);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const pump = new OutputPump(context, [parent], { keep: false, recurse: true }, recordPrinter(json));
    await pump.follow();
    const children = (await store.jobs.children(parent)).map((child) => child.view);
    process.stderr.write(`${formatHostSummary(children)}\n`);
    await store.jobs.remove([parent]);
    if (interrupted) return EXIT.interrupted;
    return children.every((child) => child.state === 'Completed') ? EXIT.ok : EXIT.failed;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
