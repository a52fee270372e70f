import { createReadStream } from 'node:fs';
import {
  checkPushDest,
  checkPushSize,
  resolveJobRequest,
  UsageError,
  type ContentManifest,
  type JobRequest,
  type JobRequestOptions,
  type PushEntry,
} from '@fleet/core';
import { jobIdCount, preloadQueueLibrary } from '@fleet/store';
import type { Argv } from 'yargs';
import { hostFlags, hostsFromArgs } from '../command-args.js';
import { settingsFrom, type CliContext, type GlobalArgs } from '../context.js';
import { GROUPS_FILES_HELP } from '../host-groups-files.js';
import { outputFlags } from '../output/output-sink.js';
import { readPushTree, type LocalPushEntry } from '../push-tree.js';
import { onShard } from '../job-shards.js';
import { rerunFailedRequest } from '../rerun-failed.js';
import { ownJobOptions, runFanOut, transferJobFlags, type FanOutJobArgs } from '../fan-out-run.js';

interface PushArgs extends FanOutJobArgs {
  recursive: boolean;
  preserve: boolean;
  paths?: string[];
}

/** A push ready to store: the request with its entries' content still to read, and the local files it reads. */
interface PlannedPush {
  request: JobRequest;
  local: LocalPushEntry[];
  maxBytes: number;
}

export const pushCommand = {
  command: 'push [paths..]',
  aliases: ['copy-item'],
  describe: 'Copy local files (directories with -r) to many hosts, one child job per host (Copy-Item -ToSession)',
  builder: (yargs: Argv<GlobalArgs>) =>
    transferJobFlags(
      outputFlags(hostFlags(yargs.usage('$0 push (-f FILE | -c HOSTS) [-r] [-p] [options] LOCAL... REMOTE')))
        .positional('paths', {
          type: 'string',
          array: true,
          describe: 'The local files, then where they go on each host (/path or ~/path)',
        })
        .option('as-job', { type: 'boolean', default: false, describe: 'Return the job at once instead of waiting' }),
      'push',
    )
      .example('$0 push -f computers.txt app.conf /etc/app/', 'put app.conf in /etc/app/ on every host')
      .example('$0 push -c web[1-4] -r -p conf ~/conf.new', 'a tree, with modes and times, as ~/conf.new')
      .example('$0 push -f computers.txt --group motd /etc/motd', 'which hosts changed: changed /etc/motd  web[1-3] (3)')
      .epilog(GROUPS_FILES_HELP),
  handler: async (argv: PushArgs) => {
    preloadQueueLibrary().catch(() => {});
    const rerun = argv['rerun-failed'];
    const settings = settingsFrom(argv);
    const own = ownJobOptions(argv, settings);
    // Everything is read and checked before anything is stored: bad input is exit 2 with nothing made.
    const planned = rerun === undefined ? await planPush(argv, own, settings.maxPushBytes, settings.maxOutputBytes) : null;
    if (rerun !== undefined && ((argv.paths ?? []).length > 0 || argv['hosts-file'] !== undefined || argv['computer-name'] !== undefined)) {
      throw new UsageError('--rerun-failed takes the hosts and the files from the job; leave out the hosts and paths');
    }
    await runFanOut(argv, settings, (context) =>
      planned === null ? carryOver(context, String(rerun), own) : storeContent(context, planned),
    );
  },
};

/** Reads and checks the arguments and the local files: the job's request, its entries' content not yet stored. */
async function planPush(
  argv: PushArgs,
  own: Omit<JobRequestOptions, 'type' | 'command'>,
  maxPushBytes: number,
  maxOutputBytes: number,
): Promise<PlannedPush> {
  const paths = (argv.paths ?? []).map(String);
  if (paths.length < 2) {
    throw new UsageError('push needs the local files and then where they go', {
      hint: 'fleet push -c web1,web2 app.conf /etc/app/  (the last path is the destination on each host)',
    });
  }
  const dest = checkPushDest(paths.at(-1) as string);
  const hosts = await hostsFromArgs(argv['hosts-file'], argv['computer-name'], argv.user, argv.exclude, argv.inventory);
  const local = await readPushTree(paths.slice(0, -1), argv.recursive);
  const files = local.filter((entry) => entry.type === 'file');
  checkPushSize(
    files.reduce((sum, entry) => sum + entry.size, 0),
    files.length,
    maxPushBytes,
  );
  const request = resolveJobRequest({
    ...own,
    type: 'remote',
    command: { kind: 'push', entries: [], dest, recursive: argv.recursive, preserve: argv.preserve },
    hosts,
    timeoutSeconds: argv.timeout,
    maxOutputBytes,
    connectTimeoutSeconds: argv['connect-timeout'],
  });
  return { request, local, maxBytes: maxPushBytes };
}

/**
 * Stores every file's content under ids reserved for the job, a chunk at a
 * time, and puts the manifests in the request: the job is created under
 * those ids and its signature covers every hash.
 */
async function storeContent(
  controller: CliContext,
  { request, local, maxBytes }: PlannedPush,
): Promise<{ request: JobRequest; rootId: number }> {
  const rootId = await controller.store.jobs.reserveIds(jobIdCount(request));
  // On the shard the job will live on (launchJob picks the same one from the same id).
  const context = onShard(controller, await controller.shards.forNewJob(rootId));
  const entries: PushEntry[] = [];
  const stored = { bytes: 0, files: 0 };
  try {
    for (const entry of local) {
      const common = { path: entry.path, mode: entry.mode, mtime: entry.mtime };
      if (entry.type === 'file')
        entries.push({ ...common, type: 'file', manifest: await storeFile(context, rootId, entry.local, stored, maxBytes) });
      else if (entry.type === 'dir') entries.push({ ...common, type: 'dir' });
      else entries.push({ ...common, type: 'symlink', target: entry.target });
    }
  } catch (error) {
    // Refused (or unreadable) mid-store: what was staged goes now, not in a day. Its own failure must not hide why.
    await context.store.chunks.discard(rootId).catch(() => {});
    throw error;
  }
  return { request: withEntries(request, entries), rootId };
}

/**
 * Stores one file, counting the bytes as they are read: a file that grew
 * since the tree was read cannot take the push over FLEET_MAX_PUSH_BYTES
 * (the caller then discards what was staged).
 */
function storeFile(
  context: CliContext,
  rootId: number,
  path: string,
  stored: { bytes: number; files: number },
  maxBytes: number,
): Promise<ContentManifest> {
  stored.files += 1;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      stored.bytes += chunk.length;
      checkPushSize(stored.bytes, stored.files, maxBytes);
      yield chunk;
    }
  }
  return context.store.chunks.put(rootId, counted());
}

/**
 * `--rerun-failed`: the job's own signed push, to the hosts that failed, as
 * a new job; its content is read back from the old job (checked against the
 * signed manifests) and stored again under the new job's ids.
 */
async function carryOver(
  context: CliContext,
  job: string,
  own: Pick<JobRequestOptions, 'name' | 'throttle' | 'maxErrors' | 'batch' | 'retentionMs'>,
): Promise<{ request: JobRequest; rootId: number }> {
  const { request, jobId, from } = await rerunFailedRequest(context, job, own, 'push');
  const rootId = await context.store.jobs.reserveIds(jobIdCount(request));
  const to = await context.shards.forNewJob(rootId);
  const command = request.run.command;
  if (command.kind !== 'push') throw new UsageError(`job ${jobId} is not a push`);
  for (const entry of command.entries) {
    if (entry.type === 'file') await to.chunks.put(rootId, from.store.chunks.read(jobId, entry.manifest));
  }
  return { request, rootId };
}

function withEntries(request: JobRequest, entries: PushEntry[]): JobRequest {
  const command = request.run.command;
  if (command.kind !== 'push') return request;
  return { ...request, run: { ...request.run, command: { ...command, entries } } };
}
