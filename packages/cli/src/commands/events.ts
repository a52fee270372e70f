import type { Argv } from 'yargs';
import { selectorsFromArgs } from '../command-args.js';
import { withContext, type GlobalArgs } from '../context.js';
import { followEvents } from '../events/follow-events.js';

interface EventsArgs extends GlobalArgs {
  job?: (string | number)[];
  json: boolean;
}

export const eventsCommand = {
  command: 'events [job..]',
  describe: 'Print job events as they happen: jobs created, state changes, removals, and the output of the jobs named',
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .positional('job', {
        describe: 'Job ids or names: their events from their creation and their output, until they end (default: every job, until Ctrl-C)',
        type: 'string',
        array: true,
      })
      .option('json', { type: 'boolean', default: false, describe: 'One JSON object a line (the events GET /api/events sends)' })
      .example('$0 events 7 --json', "job 7's events and output as JSON lines; exits 0 once it has Completed, 1 if it did not")
      .example('$0 events', 'every job event from now on, until Ctrl-C'),
  handler: async (argv: EventsArgs) => {
    const selectors = selectorsFromArgs(argv.job);
    process.exitCode = await withContext(argv, (context) => followEvents(context, selectors, argv.json));
  },
};
