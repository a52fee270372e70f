import { quoteShellWord } from './shell-quote.js';

/** Who owns a file and its mode bits (type bits included), as stat gives them. */
export interface PathFacts {
  uid: number;
  mode: number;
  /** How many names the file has (hard links). */
  nlink?: number;
}

/** Why fleet will not use a path, and what to run about it. */
export interface PathProblem {
  problem: string;
  hint: string;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/**
 * A private key, judged as ssh judges one: the user's own, and neither
 * readable nor writable by group or others (ssh's "UNPROTECTED PRIVATE KEY
 * FILE"). Another user who can read it can sign jobs as this user; one who
 * can write it can swap in a key of their own.
 */
export function privateKeyProblem(path: string, facts: PathFacts, ownUid: number): PathProblem | null {
  if (facts.uid !== ownUid) {
    return {
      problem: `is owned by uid ${facts.uid}, not by you (uid ${ownUid}): fleet signs only with a private key of your own`,
      hint: `make a key of your own: move ${quoteShellWord(path)} away (fleet then makes a new one), or set FLEET_SIGNING_KEY`,
    };
  }
  if ((facts.mode & 0o077) !== 0) {
    return {
      problem: `is open to others (mode ${octal(facts.mode)}): fleet refuses an unprotected private key, as ssh does`,
      hint: `chmod 600 ${quoteShellWord(path)}`,
    };
  }
  return null;
}

/**
 * fleet's state directory (the embedded Redis, its socket, the agent's log):
 * the user's own directory, which no one else may write. A directory another
 * user owns, or may write into, lets them plant the socket fleet talks to or
 * links where fleet writes. A sticky bit does not help: it stops others
 * removing fleet's files, not adding their own before fleet makes them.
 */
export function privateDirectoryProblem(path: string, facts: PathFacts, ownUid: number): PathProblem | null {
  if ((facts.mode & S_IFMT) !== S_IFDIR) {
    return { problem: 'is not a directory', hint: 'set FLEET_STATE_DIR to a directory of your own' };
  }
  if (facts.uid !== ownUid) {
    return {
      problem: `is owned by uid ${facts.uid}, not by you (uid ${ownUid}): fleet keeps its state only in a directory of your own`,
      hint: 'set FLEET_STATE_DIR to a directory of your own, or leave it unset',
    };
  }
  if ((facts.mode & 0o022) !== 0) {
    return {
      problem: `is writable by others (mode ${octal(facts.mode)}): fleet keeps its state only in a directory no one else can write`,
      hint: `chmod go-w ${quoteShellWord(path)}`,
    };
  }
  return null;
}

/**
 * A file fleet is about to write output into (`--outdir`): a regular file of
 * the user's own with one name. A link (symbolic ones are refused before they
 * are opened), a device or pipe, another user's file, or a hard link to a
 * file elsewhere is something planted there to be written through.
 */
export function outputFileProblem(facts: PathFacts, ownUid: number): PathProblem | null {
  const hint = 'remove it, or choose an --outdir that only you can write';
  if ((facts.mode & S_IFMT) !== S_IFREG) return { problem: 'is not a regular file: fleet writes output only into files it owns', hint };
  if (facts.uid !== ownUid) return { problem: `is owned by uid ${facts.uid}, not by you (uid ${ownUid})`, hint };
  if ((facts.nlink ?? 1) > 1) return { problem: `has ${facts.nlink} names (hard links): fleet will not write through it`, hint };
  return null;
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(3, '0');
}
