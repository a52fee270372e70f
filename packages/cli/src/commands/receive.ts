import { ChildJobError, isFinalState, UsageError } from '@fleet/core';
import { byIdOnce, type JobRecord } from '@fleet/store';
import type { Argv } from 'yargs';
import { selectorsFromArgs } from '../command-args.js';
import { withContext, type CliContext, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { Interrupts } from '../interrupts.js';
import { checkHost } from '../job-host-check.js';
import { groupByShard, reapAndSelect, type ShardJobs } from '../job-shards.js';
import { matchesHost } from '../output/output-pump.js';
import { outputFlags, outputSinkFromArgs } from '../output/output-sink.js';
import { ProgressLine } from '../output/progress-line.js';
import { receiveOutput } from '../output/receive-output.js';
import { writePulledJob } from '../pulled-job.js';
import { verifiedPullWriteOut } from '../verified-pull.js';
import { checkLocalDir } from './pull.js';

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
  dest?: string;
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
      .option('dest', { type: 'string', describe: "A pull's files: write them out under DIR/HOST/ (its hosts that have ended)" })
      .example('$0 receive 7', "print what job 7's hosts wrote since the last receive")
      .example('$0 receive 7 --group', 'the same, each distinct output once: web[1-3,7] (4)')
      .example('$0 receive backup --wait --auto-remove', 'follow a job to its end, then remove it')
      .example('$0 receive 9 --wait --dest logs', 'a pull made with --as-job: its files into logs/HOST/'),
  handler: async (argv: ReceiveArgs) => {
    if (argv['auto-remove'] && !argv.wait) throw new UsageError('--auto-remove goes with --wait');
    const selectors = selectorsFromArgs(argv.job);
    const dest = argv.dest === undefined ? null : await checkLocalDir(argv.dest);
    const sink = await outputSinkFromArgs(argv, { fresh: false });
    process.exitCode = await withContext(argv, async (context) => {
      const shares = await reapAndSelect(context, selectors);
      const selected = byIdOnce(shares.flatMap((share) => share.records));
      if (argv['auto-remove']) {
        const child = selected.find((record) => record.view.parentId !== null);
        if (child) throw new ChildJobError(child.view.id, child.view.parentId as number);
      }
      if (argv.host !== undefined && argv.recurse) await checkHost(context, selected, argv.host);
      const pulls = dest === null ? [] : await pullsOf(shares);
      const { records: final } = await receiveOutput(context, selected, {
        follow: argv.wait,
        keep: argv.keep,
        host: argv.host,
        recurse: argv.recurse,
        sink,
        progress: new ProgressLine(argv.quiet || !argv.wait),
      });
      const written = await writeOutPulls(context, pulls, dest as string, argv.host);
      if (argv['auto-remove']) for (const share of await groupByShard(context, final)) await share.context.store.jobs.remove(share.records);
      if (!written) return EXIT.failed;
      const failed = final.some((record) => isFinalState(record.view.state) && record.view.state !== 'Completed');
      return failed ? EXIT.failed : EXIT.ok;
    });
  },
};

/**
 * `--dest`: writes out each pull's files (its hosts that have ended). A
 * Ctrl-C (or SIGTERM, SIGHUP) ends the write-out between two chunks: the
 * file being written is removed, what was written stays, the job is left
 * as it is (a later `receive --dest` writes it all again), and the command
 * ends as the signal would. False when an entry was refused.
 */
async function writeOutPulls(context: CliContext, pulls: readonly JobRecord[], dest: string, host: string | undefined): Promise<boolean> {
  if (pulls.length === 0) return true;
  const interrupts = new Interrupts();
  const interrupted = () => interrupts.reason !== undefined;
  let written = true;
  try {
    for (const { context: shard, records } of await groupByShard(context, pulls)) {
      for (const record of records) {
        if (interrupted()) break;
        const leaves = (await shard.store.jobs.leaves([record])).filter((leaf) => isFinalState(leaf.view.state));
        const views = (host === undefined ? leaves : leaves.filter((leaf) => matchesHost(leaf.view.location, host))).map(
          (leaf) => leaf.view,
        );
        const writeOut = await verifiedPullWriteOut(shard, record, views);
        if (!(await writePulledJob(shard.store, record.rootId, views, dest, { ...writeOut, interrupted }))) written = false;
      }
    }
  } finally {
    interrupts.release();
  }
  if (interrupts.reason !== undefined) throw interrupts.reason;
  return written;
}

/** `--dest`: the selected jobs that are pulls (their `-p` and cap are read once verified); none is exit 2, before anything is received. */
async function pullsOf(shares: readonly ShardJobs[]): Promise<JobRecord[]> {
  const pulls: JobRecord[] = [];
  for (const { context, records } of shares) {
    for (const record of records) {
      const spec = await context.store.jobs.runSpec(record);
      let command: { kind?: unknown } | undefined;
      try {
        command = (JSON.parse(spec ?? 'null') as { command?: typeof command } | null)?.command;
      } catch {
        command = undefined;
      }
      if (command?.kind === 'pull' && record.isParent) pulls.push(record);
    }
  }
  if (pulls.length === 0) throw new UsageError('--dest writes out the files of a pull; none of these jobs is one');
  return pulls;
}
