import { resolveJobRequest } from '@fleet/core';
import type { Argv } from 'yargs';
import { commandFromArgs } from '../command-args.js';
import { settingsFrom, withContext, type GlobalArgs } from '../context.js';
import { printJobs } from '../format/job-output.js';
import { launchJob } from '../launch-job.js';

export const startCommand = {
  command: 'start',
  aliases: ['start-job'],
  describe: 'Start a background job on this machine (Start-Job)',
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .usage('$0 start [--name N] [--workdir D] (--script FILE | -- CMD [ARG...])')
      .option('name', { type: 'string', describe: 'Name of the job (default Job<id>)' })
      .option('workdir', { type: 'string', describe: 'Working directory (default: your home directory)' })
      .option('script', { alias: 'file-path', type: 'string', describe: 'Run this script; words after -- are its arguments' })
      .option('env', { type: 'string', array: true, describe: 'Set an environment variable, K=V (repeatable)' })
      .option('timeout', { type: 'number', describe: 'Fail the job if it runs longer than this many seconds' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the job as JSON' })
      .example('$0 start -- tar czf /tmp/home.tgz .', 'archive your home directory in the background')
      .example('$0 start --name backup --script ./backup.sh -- --full', 'run a script with arguments'),
  handler: async (argv: GlobalArgs & { name?: string; workdir?: string; script?: string; env?: string[]; timeout?: number; json: boolean; '--'?: string[] }) => {
    const command = await commandFromArgs(argv.script, argv['--'] ?? []);
    const settings = settingsFrom(argv);
    const request = resolveJobRequest({
      type: 'process',
      command,
      name: argv.name,
      workdir: argv.workdir,
      env: argv.env,
      timeoutSeconds: argv.timeout,
      maxOutputBytes: settings.maxOutputBytes,
      retentionMs: settings.retentionMs,
    });
    const job = await withContext(argv, (context) => launchJob(context, request), settings);
    printJobs([job], { json: argv.json, single: true });
  },
};
