import type { PushCommandSpec } from './command-spec.js';
import type { ContentManifest } from './content-manifest.js';

/**
 * What the agent writes on a push receiver's standard input (see
 * push-receiver.ts), in order: text frames, and the content of each file
 * between its frame and its `commit` line. Text frames are lines; a name
 * (which may hold any byte but NUL, newlines included) is sent as its number
 * of lines, then its lines, as the set-up header sends values:
 *
 * - `dest LINES PLACE_AS PRESERVE` and the destination (`~/` taken off: the
 *   receiver runs in the home directory). PLACE_AS is 1 when a single entry
 *   may take the destination's name (see {@link pushTarget}).
 * - `dir INDEX MODE LINES` and its name: made if missing.
 * - `file INDEX MODE SIZE SHA256 STAMP LINES` and its name, then SIZE bytes,
 *   then `commit`. STAMP is the mtime for `touch -t` (UTC), or `-`.
 * - `link INDEX LINES TARGET_LINES`, its name and its target.
 * - `time INDEX STAMP LINES` and a directory's name, after everything in it
 *   (with `-p`: writing in a directory changes its mtime).
 * - `end`.
 */
export type PushFrame = { kind: 'text'; text: string } | { kind: 'content'; manifest: ContentManifest };

export function pushFrames(command: PushCommandSpec): PushFrame[] {
  const frames: PushFrame[] = [];
  const text = (line: string) => frames.push({ kind: 'text', text: line });
  const { name: dest, lines: destLines } = counted(receiverPath(command.dest));
  text(`dest ${destLines} ${placeAs(command) ? 1 : 0} ${command.preserve ? 1 : 0}\n${dest}\n`);
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
      text(`file ${index} ${mode} ${entry.manifest.size} ${entry.manifest.sha256} ${stamp} ${lines}\n${name}\n`);
      frames.push({ kind: 'content', manifest: entry.manifest });
      text('commit\n');
    }
  });
  if (command.preserve) {
    const dirs = command.entries.map((entry, index) => ({ entry, index })).filter(({ entry }) => entry.type === 'dir');
    for (const { entry, index } of dirs.reverse()) {
      const { name, lines } = counted(entry.path);
      text(`time ${index} ${touchStamp(entry.mtime)} ${lines}\n${name}\n`);
    }
  }
  text('end\n');
  return frames;
}

function counted(name: string): { name: string; lines: number } {
  return { name, lines: name.split('\n').length };
}

/** The destination as the receiver takes it: `~/` (and `~`) off, relative to the home directory it runs in; trailing slashes off. */
function receiverPath(dest: string): string {
  const local = dest === '~' ? '.' : dest.startsWith('~/') ? dest.slice(2) || '.' : dest;
  return local.replace(/\/+$/, '') || (local.startsWith('/') ? '' : '.');
}

/**
 * Whether the only top-level entry may take the destination's name when no
 * directory of that name exists (`push app.conf /etc/app.conf`), as `cp`
 * and `scp` do; several entries, or a destination written with a trailing
 * slash, must go into a directory that exists.
 */
function placeAs(command: PushCommandSpec): boolean {
  const tops = command.entries.filter((entry) => !entry.path.includes('/'));
  return tops.length === 1 && !command.dest.endsWith('/') && command.dest !== '~';
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
