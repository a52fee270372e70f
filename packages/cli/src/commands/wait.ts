import type { Argv } from 'yargs';
import { selectorsFromArgs } from '../command-args.js';
import { withContext, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJobs, type JobFormat } from '../format/job-output.js';
import { selectJobs } from '../job-shards.js';
import { waitForJobs } from '../job-watch.js';
import { ProgressLine } from '../output/progress-line.js';

interface WaitArgs extends GlobalArgs {
  job?: (string | number)[];
  any: boolean;
  timeout?: number;
  format: JobFormat;
  json: boolean;
  quiet: boolean;
}

export const waitCommand = {
  command: 'wait <job..>',
  aliases: ['wait-job'],
  describe: 'Wait until jobs have finished, then print them (Wait-Job)',
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .positional('job', { describe: 'Job ids or names', type: 'string', array: true })
      .option('any', { type: 'boolean', default: false, describe: 'Return as soon as one job has finished' })
      .option('timeout', { type: 'number', describe: 'Give up after this many seconds (exit 124); the jobs keep running' })
      .option('format', { choices: ['table', 'list'] as const, default: 'table' as const, describe: 'Output layout' })
      .option('json', { type: 'boolean', default: false, describe: 'Print a JSON array of jobs' })
      .option('quiet', { type: 'boolean', default: false, describe: 'No progress line on the terminal' })
      .example('$0 wait 7 8 --timeout 600', 'wait up to ten minutes for jobs 7 and 8'),
  handler: async (argv: WaitArgs) => {
    const selectors = selectorsFromArgs(argv.job);
    const finished = await withContext(argv, async (context) => {
      const selected = await selectJobs(context, selectors);
      const ids = selected.map((record) => record.view.id);
      const progress = new ProgressLine(argv.quiet);
      try {
        const timeoutMs = argv.timeout === undefined ? null : argv.timeout * 1000;
        return await waitForJobs(context, ids, { any: argv.any, timeoutMs, onRound: (records) => progress.update(records) });
      } finally {
        progress.end();
      }
    });
    const jobs = finished.map((record) => record.view);
    printJobs(jobs, { json: argv.json, format: argv.format });
    process.exitCode = jobs.every((job) => job.state === 'Completed') ? EXIT.ok : EXIT.failed;
  },
};
