import type { PushCommandSpec } from './command-spec.js';
import type { ContentManifest } from './content-manifest.js';

/**
 * What the agent writes on a push receiver's standard input (see
 * push-receiver.ts), in order: text frames, and the content of each file
 * between its frame and its `commit` line. Text frames are lines; a name
 * (which may hold any byte but NUL, newlines included) is sent as its number
 * of lines, then its lines, as the set-up header sends values:
 *
 * - `dest LINES PLACE_AS PRESERVE VERIFY` and the destination (`~/` taken off: the
 *   receiver runs in the home directory; a relative one starts `./`, so no
 *   name is taken for an option). PLACE_AS (see {@link placeAs}): 0, the
 *   entries go into the destination; 1, a single entry takes the
 *   destination's name unless a directory of that name exists; 2, a single
 *   directory is the destination, whether or not it exists. VERIFY 1: each
 *   file is hashed on the host before it is renamed into place (see
 *   {@link PushFrameOptions}).
 * - The probe ({@link probeFrames}): `probe COUNT`, then per file with
 *   content `check INDEX SIZE SHA256 LINES` and its name. The receiver
 *   answers on its stdout `have INDEX` for each file it already holds
 *   (same size and SHA-256), then `probed`; the agent reads that before it
 *   writes the rest, so a re-push sends no content for those.
 * - `dir INDEX MODE LINES` and its name: made if missing (mode 0700, so that
 *   its content can be written whatever its final mode).
 * - `file INDEX MODE SIZE SHA256 STAMP LINES` and its name, then SIZE bytes,
 *   then `commit`. STAMP is the mtime for `touch -t` (UTC), or `-`.
 * - `same INDEX MODE SIZE SHA256 STAMP LINES` and its name, with no content:
 *   a file the receiver said it has. It checks that it still does (the
 *   file unchanged since the probe, or its content hashing the same) and
 *   fails the entry if not; with `-p` it sets the mode and time.
 * - `link INDEX LINES TARGET_LINES`, its name and its target.
 * - `done INDEX MODE STAMP LINES` and a directory's name, after everything
 *   in it (children before parents): the directory gets its final mode (a
 *   0555 directory could not be written in before) when the receiver made
 *   it or with `-p`, and its mtime with `-p` (writing in a directory changes
 *   its mtime). STAMP is `-` without `-p`.
 * - `end`.
 */
export type PushFrame = { kind: 'text'; text: string } | { kind: 'content'; manifest: ContentManifest };

export interface PushFrameOptions {
  /**
   * Have the receiver hash each file it wrote and refuse it, before the
   * rename, unless it matches the frame's SHA-256. A push's content was
   * checked against its signed hashes as it left Redis, so it goes without;
   * deploy, which reads local files, asks for it.
   */
  verify?: boolean;
}

/** Every frame of a push with no probe answer taken into account (all content sent): what a feeder that does not wait writes. */
export function pushFrames(command: PushCommandSpec, options: PushFrameOptions = {}): PushFrame[] {
  return [{ kind: 'text', text: probeFrames(command, options) }, ...entryFrames(command, new Set())];
}

/** The frames before the receiver's answer: `dest` and the probe of every file with content. */
export function probeFrames(command: PushCommandSpec, options: PushFrameOptions = {}): string {
  const { name: dest, lines: destLines } = counted(receiverPath(command.dest));
  const checks = command.entries.flatMap((entry, index) => {
    if (entry.type !== 'file' || entry.manifest.size === 0) return [];
    const { name, lines } = counted(entry.path);
    return [`check ${index} ${entry.manifest.size} ${entry.manifest.sha256} ${lines}\n${name}\n`];
  });
  const verify = options.verify === true ? 1 : 0;
  return (
    `dest ${destLines} ${placeAs(command)} ${command.preserve ? 1 : 0} ${verify}\n${dest}\n` + `probe ${checks.length}\n${checks.join('')}`
  );
}

/** The frames after the probe: each entry, a file the receiver has (`have`, its indexes) as `same` with no content. */
export function entryFrames(command: PushCommandSpec, have: ReadonlySet<number>): PushFrame[] {
  const frames: PushFrame[] = [];
  const text = (line: string) => frames.push({ kind: 'text', text: line });
  command.entries.forEach((entry, index) => {
    const { name, lines } = counted(entry.path);
    const mode = entry.mode.toString(8);
    if (entry.type === 'dir') text(`dir ${index} ${mode} ${lines}\n${name}\n`);
    if (entry.type === 'symlink') {
      const target = counted(entry.target);
      text(`link ${index} ${lines} ${target.lines}\n${name}\n${target.name}\n`);
    }
    if (entry.type === 'file') {
      const stamp = command.preserve ? touchStamp(entry.mtime) : '-';
      const word = have.has(index) ? 'same' : 'file';
      text(`${word} ${index} ${mode} ${entry.manifest.size} ${entry.manifest.sha256} ${stamp} ${lines}\n${name}\n`);
      if (word === 'same') return;
      frames.push({ kind: 'content', manifest: entry.manifest });
      text('commit\n');
    }
  });
  const dirs = command.entries.map((entry, index) => ({ entry, index })).filter(({ entry }) => entry.type === 'dir');
  for (const { entry, index } of dirs.reverse()) {
    const { name, lines } = counted(entry.path);
    const stamp = command.preserve ? touchStamp(entry.mtime) : '-';
    text(`done ${index} ${entry.mode.toString(8)} ${stamp} ${lines}\n${name}\n`);
  }
  text('end\n');
  return frames;
}

function counted(name: string): { name: string; lines: number } {
  return { name, lines: name.split('\n').length };
}

/**
 * The destination as the receiver takes it: `~/` (and `~`) off, relative to
 * the home directory it runs in, as `./NAME` (a first name starting with
 * `-` must not reach mktemp or mv as an option); trailing slashes off.
 */
function receiverPath(dest: string): string {
  const local = dest === '~' ? '.' : dest.startsWith('~/') ? dest.slice(2) || '.' : dest;
  const trimmed = local.replace(/\/+$/, '') || (local.startsWith('/') ? '' : '.');
  return trimmed.startsWith('/') || trimmed === '.' ? trimmed : `./${trimmed}`;
}

/**
 * How the entries take the destination, decided by the command's words
 * alone so that a push run twice lands in the same place:
 * - 0: several entries, or a destination written with a trailing slash (or
 *   `~`), go into a directory that exists.
 * - 1: the only top-level entry, a file or link, takes the destination's
 *   name when no directory of that name exists (`push app.conf
 *   /etc/app.conf`), else goes into it, as `cp` and `scp` do.
 * - 2: the only top-level entry, a directory, IS the destination (made if
 *   missing, its content merged into it if it exists), as `cp -rT` or
 *   `rsync conf/ dest`: `push -r conf ~/conf.new` fills ~/conf.new, the
 *   first time and every time after, never ~/conf.new/conf.
 */
function placeAs(command: PushCommandSpec): 0 | 1 | 2 {
  const tops = command.entries.filter((entry) => !entry.path.includes('/'));
  if (tops.length !== 1 || command.dest.endsWith('/') || command.dest === '~') return 0;
  return tops[0]?.type === 'dir' ? 2 : 1;
}

/** `touch -t` for a time in seconds, read with TZ=UTC0: CCYYMMDDhhmm.SS. */
export function touchStamp(seconds: number): string {
  const iso = new Date(seconds * 1000).toISOString(); // 2026-12-02T00:08:21.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}.${iso.slice(17, 19)}`;
}

/**
 * Where entry `path` lands, as the user wrote the destination: inside it
 * when the host has a directory of that name (`into`), else in its place.
 */
export function pushTarget(dest: string, path: string, into: boolean): string {
  const base = dest.replace(/\/+$/, '');
  if (into) return `${base}/${path}`;
  const slash = path.indexOf('/');
  return slash === -1 ? dest : `${base}/${path.slice(slash + 1)}`;
}

/** The entries' names are relative, without `.` or `..` components: nothing lands outside the destination. */
export function isSafeEntryPath(path: string): boolean {
  return path !== '' && !path.includes('\0') && path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}
