import { JOB_STATES, jobVia } from '@fleet/core';
import type { Argv } from 'yargs';
import { checkState, selectorsFromArgs } from '../command-args.js';
import { withContext, type GlobalArgs } from '../context.js';
import { printJobs, type JobFormat } from '../format/job-output.js';
import { listJobs } from '../job-listing.js';

interface GetArgs extends GlobalArgs {
  job?: (string | number)[];
  state?: string;
  children: boolean;
  format: JobFormat;
  json: boolean;
}

export const getCommand = {
  command: 'get [job..]',
  aliases: ['get-job', 'jobs'],
  describe: 'List jobs (Get-Job)',
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .positional('job', { describe: 'Job ids or names (default: every job that is not a child)', type: 'string', array: true })
      .option('state', { type: 'string', describe: `Only jobs in this state (${JOB_STATES.join(', ')})` })
      .option('children', { type: 'boolean', default: false, describe: 'Also list the children of the jobs listed' })
      .option('format', { choices: ['table', 'list'] as const, default: 'table' as const, describe: 'Output layout' })
      .option('json', { type: 'boolean', default: false, describe: 'Print a JSON array of jobs' })
      .example('$0 get', 'list every job')
      .example('$0 get 7 --children --format list', 'job 7 and its children, one field a line'),
  handler: async (argv: GetArgs) => {
    const state = argv.state === undefined ? undefined : checkState(argv.state);
    const listed = await withContext(argv, (context) =>
      listJobs(context, { selectors: selectorsFromArgs(argv.job), state, children: argv.children }),
    );
    const via = new Map(
      listed.flatMap((record) => {
        const text = jobVia(record.via, record.agentId);
        return text === null ? [] : [[record.view.id, text] as const];
      }),
    );
    printJobs(
      listed.map((record) => record.view),
      { json: argv.json, format: argv.format, via },
    );
  },
};
