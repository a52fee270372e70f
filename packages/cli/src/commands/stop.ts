import type { Argv } from 'yargs';
import { selectorsFromArgs } from '../command-args.js';
import { withContext, type GlobalArgs } from '../context.js';
import { selectJobs } from '../job-shards.js';
import { stopJobs } from '../stop-jobs.js';

export const stopCommand = {
  command: 'stop <job..>',
  aliases: ['stop-job'],
  describe: 'Stop jobs; output written so far stays receivable (Stop-Job)',
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .positional('job', { describe: 'Job ids or names', type: 'string', array: true })
      .example('$0 stop 7', 'stop job 7 on every host it runs on'),
  handler: async (argv: GlobalArgs & { job?: (string | number)[] }) => {
    const selectors = selectorsFromArgs(argv.job);
    await withContext(argv, async (context) => stopJobs(context, await selectJobs(context, selectors)));
  },
};
