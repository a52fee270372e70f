import { StdinTooLargeError, UsageError } from './errors.js';

/** What else a command line asks of the CLI's standard input, for {@link checkStdinUse}. */
export interface StdinUse {
  /** `-f -`: the hosts are read from standard input. */
  hostsFile?: string | undefined;
  /** `--script FILE`: a script (or a thread job's module) read from a file, which may be standard input. */
  script?: string | undefined;
  /** `--thread`: JavaScript run inside an agent, which has no standard input to give. */
  thread?: boolean | undefined;
}

/** Names under which a script file would be this process's own standard input. */
const STDIN_FILES = new Set(['-', '/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);

/**
 * Refuses what cannot go with `--stdin`, before anything is read: standard
 * input is read once, to its end, for the command, so nothing else may read
 * it (`-f -`, `--script -` or `/dev/stdin`); and a thread job has no
 * standard input to feed (its arguments carry its data).
 */
export function checkStdinUse(use: StdinUse): void {
  if (use.hostsFile === '-') {
    throw new UsageError('-f - and --stdin both read standard input', {
      hint: 'give the hosts with -f FILE or -c, and keep standard input for the command',
    });
  }
  if (use.script !== undefined && STDIN_FILES.has(use.script)) {
    throw new UsageError(`--script ${use.script} and --stdin both read standard input`, {
      hint: 'give the script as a file, and keep standard input for it to read',
    });
  }
  if (use.thread === true) {
    throw new UsageError('--stdin feeds a command; a thread job (--thread) has no standard input', {
      hint: 'pass its data as arguments after --, or read a file in it',
    });
  }
}

/**
 * Reads `source` (the CLI's standard input) to its end and returns its bytes
 * as they came, refusing with {@link StdinTooLargeError} as soon as they pass
 * `capBytes`: nothing is stored or run then. What it holds is bounded by the
 * cap (FLEET_MAX_STDIN).
 */
export async function readStdinWithin(source: AsyncIterable<Uint8Array | string>, capBytes: number): Promise<Buffer[]> {
  const pieces: Buffer[] = [];
  let total = 0;
  for await (const piece of source) {
    const bytes = typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    total += bytes.length;
    if (total > capBytes) throw new StdinTooLargeError(capBytes);
    pieces.push(bytes);
  }
  return pieces;
}
