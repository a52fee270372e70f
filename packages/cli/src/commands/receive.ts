import { ChildJobError, isFinalState, UsageError } from '@fleet/core';
import type { Argv } from 'yargs';
import { selectorsFromArgs } from '../command-args.js';
import { withContext, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { checkHost } from '../job-host-check.js';
import { outputFlags, outputSinkFromArgs } from '../output/output-sink.js';
import { ProgressLine } from '../output/progress-line.js';
import { receiveOutput } from '../output/receive-output.js';

interface ReceiveArgs extends GlobalArgs {
  job?: (string | number)[];
  keep: boolean;
  wait: boolean;
  'auto-remove': boolean;
  host?: string;
  recurse: boolean;
  json: boolean;
  group: boolean;
  outdir?: string;
  prefix: boolean;
  N?: boolean;
  quiet: boolean;
}

export const receiveCommand = {
  command: 'receive <job..>',
  aliases: ['receive-job'],
  describe: "Print a job's output not yet received, then delete it (Receive-Job)",
  builder: (yargs: Argv<GlobalArgs>) =>
    outputFlags(yargs)
      .positional('job', { describe: 'Job ids or names', type: 'string', array: true })
      .option('keep', { type: 'boolean', default: false, describe: 'Keep the output for a later receive' })
      .option('wait', { type: 'boolean', default: false, describe: 'Go on printing until the job has finished' })
      .option('auto-remove', { type: 'boolean', default: false, describe: 'With --wait: remove the job afterwards' })
      .option('host', { type: 'string', describe: "Only this host's output" })
      .option('recurse', { type: 'boolean', default: true, describe: "A parent's children's output (--no-recurse: the parent's own)" })
      .option('json', { type: 'boolean', default: false, describe: 'One JSON output record a line' })
      .option('quiet', { type: 'boolean', default: false, describe: 'With --wait: no progress line on the terminal' })
      .example('$0 receive 7', "print what job 7's hosts wrote since the last receive")
      .example('$0 receive 7 --group', 'the same, each distinct output once: web[1-3,7] (4)')
      .example('$0 receive backup --wait --auto-remove', 'follow a job to its end, then remove it'),
  handler: async (argv: ReceiveArgs) => {
    if (argv['auto-remove'] && !argv.wait) throw new UsageError('--auto-remove goes with --wait');
    const selectors = selectorsFromArgs(argv.job);
    const sink = await outputSinkFromArgs(argv, { fresh: false });
    process.exitCode = await withContext(argv, async (context) => {
      const { store } = context;
      await store.reap();
      const selected = await store.jobs.select(selectors);
      if (argv['auto-remove']) {
        const child = selected.find((record) => record.view.parentId !== null);
        if (child) throw new ChildJobError(child.view.id, child.view.parentId as number);
      }
      if (argv.host !== undefined && argv.recurse) await checkHost(context, selected, argv.host);
      const { records: final } = await receiveOutput(context, selected, {
        follow: argv.wait,
        keep: argv.keep,
        host: argv.host,
        recurse: argv.recurse,
        sink,
        progress: new ProgressLine(argv.quiet || !argv.wait),
      });
      if (argv['auto-remove']) await store.jobs.remove(final);
      const failed = final.some((record) => isFinalState(record.view.state) && record.view.state !== 'Completed');
      return failed ? EXIT.failed : EXIT.ok;
    });
  },
};
