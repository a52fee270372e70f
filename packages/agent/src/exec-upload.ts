import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  buildPushReceiver,
  CHUNK_SIZE,
  NodeUploadError,
  PushReport,
  quoteShellWord,
  REMOTE_MARKER,
  type ContentManifest,
  type PushCommandSpec,
} from '@fleet/core';
import { channelOutput } from './channel-output.js';
import type { NodeFile } from './node-file.js';
import { feedPush, ReceiverClosedError } from './push-feed.js';
import type { SshLease } from './ssh/ssh-lease.js';

/** The most of the receiver's stdout and stderr kept: its report is a line per file, its failure one line. */
const KEEP_OUTPUT_BYTES = 64 * 1024;

/**
 * Puts files in a directory of a host over one exec channel, for hosts
 * without the SFTP subsystem: push's receiver (push-receiver.ts) reads
 * push's frames, fed from local files a chunk at a time with the channel's
 * window as back-pressure (never a whole file in memory). Each file is
 * written under a random temporary name beside its place, checked (its
 * length, and its SHA-256 on the host before the rename), given `mode` and
 * renamed into place: nothing half written is ever under its real name. The
 * receiver's probe answer is awaited first, so a file already there with the
 * same content is not sent again (nor rewritten). `dir` must
 * exist. Throws NodeUploadError with the receiver's reason, the path put in.
 */
export async function uploadOverExec(
  lease: SshLease,
  dir: string,
  files: readonly NodeFile[],
  hashed: HashCache = new Map(),
): Promise<void> {
  const manifests = await Promise.all(files.map((file) => manifestOf(file, hashed)));
  const now = Math.floor(Date.now() / 1000);
  const command: PushCommandSpec = {
    kind: 'push',
    // The trailing slash: the files go into the directory, whatever their number.
    dest: `${dir}/`,
    recursive: false,
    // -p: the modes exactly as given, not bent by the host's umask or a replaced file's mode.
    preserve: true,
    entries: files.map((file, index) => ({
      type: 'file',
      path: file.name,
      mode: file.mode,
      mtime: now,
      manifest: manifests[index] as ContentManifest,
    })),
  };
  const sources = new Map(manifests.map((manifest, index) => [manifest, files[index] as NodeFile]));
  const read = (manifest: ContentManifest) => readSource(sources.get(manifest) as NodeFile, manifest);
  // Read as it comes: the receiver's probe answer (which files it already has) settles report.probed, which the feed awaits.
  const report = new PushReport(command);
  let feedError: Error | null = null;
  let fed: Promise<void> = Promise.resolve();
  const result = await lease.exec(`exec /bin/sh -c ${quoteShellWord(buildPushReceiver())}`, (channel) => {
    const closed = channelOutput(channel, KEEP_OUTPUT_BYTES);
    channel.on('data', (chunk: Buffer) => report.push(chunk));
    // Once the channel has closed, stop waiting for a window that never opens.
    const settled = new AbortController();
    void closed.then(() => settled.abort());
    fed = feedPush(channel, command, read, new AbortController().signal, report.probed, undefined, settled.signal, { verify: true }).catch(
      (error: unknown) => {
        feedError = error instanceof Error ? error : new Error(String(error));
        channel.end();
      },
    );
    return closed;
  });
  // The report's end settles the probe of a receiver that never answered it, which the feed may await.
  report.end();
  await fed;
  // The feed's own failure first (a local file changed or unreadable): the receiver, cut short by it, would only say so.
  const feedFailure = feedError as Error | null;
  if (feedFailure !== null && !(feedFailure instanceof ReceiverClosedError)) throw new NodeUploadError(feedFailure.message, 'exec');
  const failure = new RegExp(`${REMOTE_MARKER}error:(.*)`).exec(result.stderr)?.[1];
  if (failure !== undefined) throw new NodeUploadError(report.explain(failure), 'exec');
  const written = report.counts.changed + report.counts.unchanged;
  if (result.code !== 0 || written !== files.length) {
    const said = result.stderr.replaceAll(REMOTE_MARKER, '').trim();
    throw new NodeUploadError(
      `the receiver ended (exit ${result.code ?? 'none'}) after ${written} of ${files.length} files${said === '' ? '' : `: ${said}`}`,
      'exec',
    );
  }
}

/**
 * Local files already hashed, by path, size and mtime: one per deploy run, so
 * that a deploy to many nodes hashes the 100 MB Node binary once.
 */
export type HashCache = Map<string, Promise<ContentManifest>>;

/** Its size and SHA-256 (no chunks: the content comes from here, not from a chunk store), read a block at a time. */
async function manifestOf(file: NodeFile, hashed: HashCache): Promise<ContentManifest> {
  if ('content' in file.source) {
    const bytes = Buffer.from(file.source.content);
    return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), chunks: [] };
  }
  const path = file.source.path;
  const info = await stat(path);
  const key = `${path}\0${info.size}\0${info.mtimeMs}`;
  let manifest = hashed.get(key);
  if (manifest === undefined) {
    manifest = (async () => {
      const hash = createHash('sha256');
      let size = 0;
      for await (const block of createReadStream(path, { highWaterMark: CHUNK_SIZE }) as AsyncIterable<Buffer>) {
        hash.update(block);
        size += block.length;
      }
      return { size, sha256: hash.digest('hex'), chunks: [] };
    })();
    hashed.set(key, manifest);
    manifest.catch(() => hashed.delete(key));
  }
  return { ...(await manifest) };
}

/**
 * A file's content, a block at a time. A local file that no longer matches
 * what was hashed (changed meanwhile) throws at its end, before the frame's
 * `commit`: the receiver, cut short, keeps nothing of it.
 */
async function* readSource(file: NodeFile, manifest: ContentManifest): AsyncGenerator<Buffer> {
  if ('content' in file.source) {
    yield Buffer.from(file.source.content);
    return;
  }
  const hash = createHash('sha256');
  let size = 0;
  for await (const block of createReadStream(file.source.path, { highWaterMark: CHUNK_SIZE }) as AsyncIterable<Buffer>) {
    hash.update(block);
    size += block.length;
    if (size > manifest.size) break;
    yield block;
  }
  if (size !== manifest.size || hash.digest('hex') !== manifest.sha256) {
    throw new Error(`${file.source.path} changed while it was being sent: run deploy again`);
  }
}
