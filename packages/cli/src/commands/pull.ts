import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { checkPullSource, checkPullSourcesApart, JobNotFoundError, resolveJobRequest, UsageError, type JobRequest } from '@fleet/core';
import { preloadQueueLibrary } from '@fleet/store';
import type { Argv } from 'yargs';
import { hostFlags, hostsFromArgs } from '../command-args.js';
import { settingsFrom, type GlobalArgs } from '../context.js';
import { GROUPS_FILES_HELP } from '../host-groups-files.js';
import { outputFlags } from '../output/output-sink.js';
import { writePulledJob } from '../pulled-job.js';
import { rerunFailedRequest } from '../rerun-failed.js';
import { verifiedPullWriteOut } from '../verified-pull.js';
import { ownJobOptions, runFanOut, transferJobFlags, type FanOutJobArgs } from '../fan-out-run.js';

interface PullArgs extends FanOutJobArgs {
  recursive: boolean;
  preserve: boolean;
  paths?: string[];
}

export const pullCommand = {
  command: 'pull [paths..]',
  describe: 'Copy files (directories with -r) from many hosts to LOCAL_DIR/HOST/, one child job per host (Copy-Item -FromSession)',
  builder: (yargs: Argv<GlobalArgs>) =>
    transferJobFlags(
      outputFlags(hostFlags(yargs.usage('$0 pull (-f FILE | -c HOSTS) [-r] [-p] [options] REMOTE... LOCAL_DIR')))
        .positional('paths', {
          type: 'string',
          array: true,
          describe: 'What to bring back from each host (/path or ~/path), then the local directory (none with --as-job)',
        })
        .option('as-job', {
          type: 'boolean',
          default: false,
          describe: 'Return the job at once; write the files out later with receive JOB --dest DIR',
        }),
      'pull',
    )
      .example('$0 pull -f computers.txt /var/log/syslog logs', 'logs/web1/syslog, logs/web2/syslog, ...')
      .example('$0 pull -c web[1-4] -r -p ~/conf saved', 'a tree, with modes and times: saved/web1/conf/...')
      .example('$0 pull -f computers.txt --as-job /etc/motd', 'then fleet receive JOB --dest motds: motds/web1/motd, ...')
      .epilog(GROUPS_FILES_HELP),
  handler: async (argv: PullArgs) => {
    preloadQueueLibrary().catch(() => {});
    const rerun = argv['rerun-failed'];
    const settings = settingsFrom(argv);
    const own = ownJobOptions(argv, settings);
    // With --as-job every path is remote: receive JOB --dest DIR writes the files out later.
    const asJob = argv['as-job'];
    const paths = (argv.paths ?? []).map(String);
    const wanted = (rerun === undefined ? 1 : 0) + (asJob ? 0 : 1);
    if (paths.length < wanted || (rerun !== undefined && paths.length > wanted)) {
      throw new UsageError(pullShape(rerun !== undefined, asJob), {
        hint: 'fleet pull -c web1,web2 /var/log/syslog logs  (files land in logs/web1/syslog, logs/web2/syslog)',
      });
    }
    const localDir = asJob ? null : await checkLocalDir(paths.at(-1) as string);
    if (rerun !== undefined && (argv['hosts-file'] !== undefined || argv['computer-name'] !== undefined)) {
      throw new UsageError('--rerun-failed takes the hosts and the paths from the job; leave out the hosts');
    }
    const remote = (asJob ? paths : paths.slice(0, -1)).map(checkPullSource);
    checkPullSourcesApart(remote);
    let writeOut = { preserve: argv.preserve, maxBytes: settings.maxPullBytes };
    await runFanOut(
      argv,
      settings,
      async (context): Promise<{ request: JobRequest }> => {
        if (rerun !== undefined) {
          const { request } = await rerunFailedRequest(context, String(rerun), own, 'pull');
          const { command } = request.run;
          if (command.kind === 'pull') writeOut = { preserve: command.preserve, maxBytes: command.maxBytes };
          return { request };
        }
        const hosts = await hostsFromArgs(argv['hosts-file'], argv['computer-name'], argv.user, argv.exclude, argv.inventory);
        const request = resolveJobRequest({
          ...own,
          type: 'remote',
          command: { kind: 'pull', paths: remote, recursive: argv.recursive, preserve: argv.preserve, maxBytes: settings.maxPullBytes },
          hosts,
          timeoutSeconds: argv.timeout,
          maxOutputBytes: settings.maxOutputBytes,
          connectTimeoutSeconds: argv['connect-timeout'],
        });
        return { request };
      },
      localDir === null
        ? undefined
        : async (context, root, children, interrupted) => {
            const parent = await context.store.jobs.record(root.id);
            if (parent === null) throw new JobNotFoundError(String(root.id));
            // The children's hosts as read back from Redis are checked against their signatures.
            await verifiedPullWriteOut(context, parent, children);
            return writePulledJob(context.store, root.id, children, localDir, { ...writeOut, interrupted });
          },
    );
  },
};

/** What a pull takes, said when it was not given. */
function pullShape(rerun: boolean, asJob: boolean): string {
  if (rerun) return asJob ? '--rerun-failed with --as-job takes no paths' : '--rerun-failed takes the local directory, and no other path';
  return asJob
    ? 'pull --as-job needs what to bring back (no local directory: receive JOB --dest DIR writes the files out)'
    : 'pull needs what to bring back and then the local directory';
}

/** LOCAL_DIR: a directory (a link to one will do: it is the user's), or not there yet (it is made); else exit 2 before anything runs. */
export async function checkLocalDir(path: string): Promise<string> {
  const found = await stat(path).catch(() => null);
  if (found !== null && !found.isDirectory()) {
    throw new UsageError(`${JSON.stringify(path)} is not a directory: the files land in LOCAL_DIR/HOST/`);
  }
  return resolve(path);
}
