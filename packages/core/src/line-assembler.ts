/**
 * Output as it is stored comes in chunks cut wherever the command's writes
 * fell, not at line ends. Text printing and `--json` need whole lines, so
 * that a `HOST: ` prefix starts each one and hosts interleave only between
 * lines. Bytes are held as Latin-1 strings (one character a byte): a newline
 * byte is never part of a UTF-8 character, so lines are found without
 * decoding, and a line of any length stays one line.
 */
export class LineAssembler {
  private partial = '';
  private partialStamp: string | undefined;

  /**
   * Adds a chunk; returns the whole lines it completes, each ending in a
   * newline (`''` when it completes none). What follows the chunk's last
   * newline waits for the next chunk. `stamp` (a time) is kept with the line
   * waiting, for whoever takes it as the rest.
   */
  push(chunk: string, stamp?: string): string {
    const cut = chunk.lastIndexOf('\n');
    if (cut === -1) {
      this.partial += chunk;
      if (chunk !== '') this.partialStamp = stamp;
      return '';
    }
    const lines = this.partial === '' ? chunk.slice(0, cut + 1) : this.partial + chunk.slice(0, cut + 1);
    this.partial = chunk.slice(cut + 1);
    this.partialStamp = this.partial === '' ? undefined : stamp;
    return lines;
  }

  /** The line begun and not ended (`''` when none), with the stamp of its last chunk; clears it. */
  takeRest(): { rest: string; stamp: string | undefined } {
    const taken = { rest: this.partial, stamp: this.partialStamp };
    this.partial = '';
    this.partialStamp = undefined;
    return taken;
  }
}

/** The unfinished line of one job's stream, as {@link JobLines.takeRests} gives it. */
export interface LineRest<S extends string> {
  jobId: number;
  stream: S;
  rest: string;
  stamp: string | undefined;
}

/**
 * A {@link LineAssembler} per job and stream: a job's stdout and stderr are
 * each whole lines apart, as are different jobs' (they share one output
 * stream in the store, in arrival order).
 */
export class JobLines<S extends string> {
  private readonly open = new Map<number, Map<S, LineAssembler>>();

  /** As {@link LineAssembler.push}, for this job's stream. */
  push(jobId: number, stream: S, chunk: string, stamp?: string): string {
    let streams = this.open.get(jobId);
    if (streams === undefined) this.open.set(jobId, (streams = new Map<S, LineAssembler>()));
    let lines = streams.get(stream);
    if (lines === undefined) streams.set(stream, (lines = new LineAssembler()));
    return lines.push(chunk, stamp);
  }

  /**
   * The unfinished lines of one job (its output has ended), or of every job
   * (`undefined`: the reading ends), in the order their streams were first
   * written; only those with bytes. Forgets the jobs.
   */
  takeRests(jobId?: number): LineRest<S>[] {
    const jobs = jobId === undefined ? [...this.open.keys()] : [jobId];
    const rests: LineRest<S>[] = [];
    for (const id of jobs) {
      for (const [stream, lines] of this.open.get(id) ?? []) {
        const { rest, stamp } = lines.takeRest();
        if (rest !== '') rests.push({ jobId: id, stream, rest, stamp });
      }
      this.open.delete(id);
    }
    return rests;
  }
}
