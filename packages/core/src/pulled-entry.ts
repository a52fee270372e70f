import { isContentManifest } from './content-manifest.js';
import type { PushEntry } from './command-spec.js';

/**
 * One entry a pull brought back from a host, as the agent records it per
 * child (see PulledStore): the same shape as a push's entries. `path` is
 * relative to LOCAL_DIR/HOST.
 */
export type PulledEntry = PushEntry;

/** The longest name a pulled entry may have, in bytes (Linux's PATH_MAX). */
export const PULLED_PATH_MAX = 4096;

/** The longest component of a pulled entry's name, in bytes (Linux's NAME_MAX). */
export const PULLED_NAME_MAX = 255;

/**
 * Why a name from a host may not be written under LOCAL_DIR/HOST, or null
 * when it may: it must be relative, without empty, `.` or `..` components,
 * and without control characters (C0, newline and tab included, and DEL):
 * such a name is refused rather than escaped, since no escaping keeps it
 * the host's name and it could not be printed as one line anyway. Names
 * over PATH_MAX, or with a component over NAME_MAX, are refused too: no
 * file system here takes them, and they keep a recorder's memory small.
 */
export function pulledPathProblem(path: string): string | null {
  if (path === '') return 'its name is empty';
  if (Buffer.byteLength(path) > PULLED_PATH_MAX) return `its name is longer than ${PULLED_PATH_MAX} bytes`;
  if (path.startsWith('/')) return 'its name is absolute';
  if ([...path].some((char) => char < ' ' || char === '\u007f')) return 'its name holds a control character (a newline, a tab...)';
  for (const part of path.split('/')) {
    if (part === '') return 'its name has an empty component';
    if (part === '.' || part === '..') return `its name has a "${part}" component`;
    if (Buffer.byteLength(part) > PULLED_NAME_MAX) return `its name has a component longer than ${PULLED_NAME_MAX} bytes`;
  }
  return null;
}

/**
 * Reads a recorded entry as the writer must: whatever Redis holds may have
 * been written by anyone, so every field is checked. Returns the entry, or
 * why it is refused.
 */
export function parsePulledEntry(text: string | null): PulledEntry | string {
  if (text === null) return 'its record is missing';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'its record is not JSON';
  }
  if (typeof value !== 'object' || value === null) return 'its record is not an object';
  const { path, mode, mtime, type } = value as Record<string, unknown>;
  if (typeof path !== 'string') return 'its record has no name';
  const problem = pulledPathProblem(path);
  if (problem !== null) return problem;
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o7777) return 'its mode is not a mode';
  if (typeof mtime !== 'number' || !Number.isSafeInteger(mtime)) return 'its time is not a time';
  const common = { path, mode, mtime };
  if (type === 'dir') return { ...common, type };
  if (type === 'symlink') {
    const { target } = value as { target?: unknown };
    if (typeof target !== 'string' || target === '' || target.includes('\0')) return 'its link target is not a name';
    return { ...common, type, target };
  }
  if (type === 'file') {
    const { manifest } = value as { manifest?: unknown };
    if (!isContentManifest(manifest)) return 'its content manifest is not one';
    return { ...common, type, manifest };
  }
  return 'its type is not a file, a directory or a symbolic link';
}
