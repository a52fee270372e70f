import { UsageError } from '@fleet/core';
import type { Argv } from 'yargs';
import { checkState, selectorsFromArgs } from '../command-args.js';
import { withContext, type GlobalArgs } from '../context.js';
import { listJobs } from '../job-listing.js';
import { removeJobs } from '../remove-jobs.js';

interface RemoveArgs extends GlobalArgs {
  job?: (string | number)[];
  state?: string;
  force: boolean;
}

export const removeCommand = {
  command: 'remove [job..]',
  aliases: ['remove-job'],
  describe: 'Delete jobs, their children and their output (Remove-Job)',
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .positional('job', { describe: 'Job ids or names', type: 'string', array: true })
      .option('state', { type: 'string', describe: 'Remove every job in this state' })
      .option('force', { type: 'boolean', default: false, describe: 'Stop jobs that have not finished, then remove them' })
      .example('$0 remove 7', 'remove job 7')
      .example('$0 remove --state Completed', 'clear away every completed job'),
  handler: async (argv: RemoveArgs) => {
    const selectors = selectorsFromArgs(argv.job);
    const state = argv.state === undefined ? undefined : checkState(argv.state);
    if (selectors.length === 0 && state === undefined) {
      throw new UsageError('name the jobs to remove', { hint: 'give job ids or names, or --state STATE' });
    }
    await withContext(argv, async (context) => {
      // Reaped, selected (or every top-level job) on every shard, filtered by state.
      const records = await listJobs(context, { selectors, state, children: false });
      await removeJobs(context, records, { force: argv.force });
    });
  },
};
