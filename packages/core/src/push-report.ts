import type { PushCommandSpec } from './command-spec.js';
import { pushTarget } from './push-frames.js';

/** A path for a report line: as it is, or JSON-quoted when it holds a control character (a newline would break the line). */
export function displayPath(path: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(path) ? JSON.stringify(path) : path;
}

/** The most of one line the report holds while waiting for its newline; past it, the text passes on as it is. */
export const PUSH_REPORT_MAX_LINE = 64 * 1024;

/**
 * Turns a push receiver's report (see push-receiver.ts) into what the
 * child's output shows. `placed into|as` says how the destination was
 * taken; the probe's `have N` lines (files of this push with content only)
 * and `probed` settle {@link PushReport.probed}, which the feed awaits;
 * then each `changed N` / `unchanged N` becomes one line per file or link,
 * `changed PATH` or `unchanged PATH`, with the path where it landed on the
 * host. Failures (`entry N: problem`) become sentences that name the path
 * ({@link PushReport.explain}). Receiver lines it does not know pass as
 * they are.
 */
export class PushReport {
  private into = true;
  private partial = '';
  readonly counts = { changed: 0, unchanged: 0 };
  private readonly have = new Set<number>();
  private settleProbe!: (have: ReadonlySet<number> | null) => void;
  /**
   * The probe's answer: the indexes of the files the host already has
   * (`have N` lines, each a file of this push, up to `probed`); null when
   * the receiver's output ended without one (it failed, or was stopped).
   */
  readonly probed = new Promise<ReadonlySet<number> | null>((resolve) => (this.settleProbe = resolve));

  private said = false;

  constructor(readonly command: PushCommandSpec) {}

  /** Whether the receiver said `probed`: a host that never did never ran it whole. */
  get probedSeen(): boolean {
    return this.said;
  }

  /** Takes a piece of the receiver's stdout; returns the output lines it completes. */
  push(chunk: Buffer): Buffer {
    const text = this.partial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    const out = lines
      .map((line) => this.translate(line))
      .filter((line) => line !== null)
      .join('');
    // A host that prints without newlines must not grow this without bound: such text is no report line.
    if (this.partial.length <= PUSH_REPORT_MAX_LINE) return Buffer.from(out);
    const long = this.partial;
    this.partial = '';
    return Buffer.from(out + long);
  }

  /** What is left at the end (a line without its newline). */
  end(): Buffer {
    const rest = this.partial;
    this.partial = '';
    // A resolved promise keeps its first value: a receiver that answered keeps its answer.
    this.settleProbe(null);
    return rest === '' ? Buffer.alloc(0) : Buffer.from(this.translate(rest) ?? '');
  }

  /** A receiver failure with the path put in: `/etc/app.conf: permission denied`. */
  explain(failure: string): string {
    const entry = /^entry (\d+): (.*)$/s.exec(failure);
    if (entry) return `${displayPath(this.target(Number(entry[1])))}: ${entry[2]}`;
    if (failure.startsWith('dest: ')) return `${displayPath(this.command.dest)}: ${failure.slice(6)}`;
    return failure;
  }

  private translate(line: string): string | null {
    if (line === 'placed into' || line === 'placed as') {
      this.into = line === 'placed into';
      return null;
    }
    if (line === 'probed') {
      this.said = true;
      // A copy: later `have` lines (a hostile host's) change nothing the feed was told.
      this.settleProbe(new Set(this.have));
      return null;
    }
    const have = /^have (\d+)$/.exec(line);
    if (have) {
      // Only a file of this push that was probed (one with content): what a host claims beyond that changes nothing it is sent.
      const entry = this.command.entries[Number(have[1])];
      if (entry?.type === 'file' && entry.manifest.size > 0) this.have.add(Number(have[1]));
      return null;
    }
    const report = /^(changed|unchanged) (\d+)$/.exec(line);
    if (!report) return `${line}\n`;
    const state = report[1] as 'changed' | 'unchanged';
    this.counts[state] += 1;
    return `${state} ${displayPath(this.target(Number(report[2])))}\n`;
  }

  private target(index: number): string {
    const entry = this.command.entries[index];
    return entry === undefined ? `entry ${index}` : pushTarget(this.command.dest, entry.path, this.into);
  }
}
