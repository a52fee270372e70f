import { formatProgress, sumProgress, type LeafProgress } from '@fleet/core';
import type { JobRecord } from '@fleet/store';

const ERASE = '\r\u001b[K';

/**
 * The one live line `invoke`, `push`, `wait` and `receive --wait` keep on a
 * terminal's stderr while jobs run: done, failed, running and waiting counts
 * of all, for a transfer the bytes moved of the bytes to move (dropped when
 * the terminal is too narrow for them), and the time so far, never wider
 * than the terminal, redrawn in place and erased at the end. Output printed
 * meanwhile goes through `around`, which takes the line off and puts it back,
 * so the two never mix. Nothing at all when stderr is not a terminal, or with
 * --quiet.
 */
export class ProgressLine {
  private progress: LeafProgress | null = null;
  private shown = false;
  private printing = 0;
  private enabled: boolean;
  private readonly began = Date.now();
  private readonly timer: NodeJS.Timeout | null;

  constructor(
    quiet: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.enabled = !quiet && stream.isTTY === true;
    // The clock goes on between rounds.
    this.timer = this.enabled ? setInterval(() => this.draw(), 250) : null;
    this.timer?.unref();
  }

  /** The jobs as last read: each counts its leaves. */
  update(records: readonly JobRecord[]): void {
    this.progress = sumProgress(records.map((record) => record.progress));
    this.draw();
  }

  async around<T>(print: () => Promise<T> | T): Promise<T> {
    this.erase();
    this.printing += 1;
    try {
      return await print();
    } finally {
      this.printing -= 1;
      this.draw();
    }
  }

  /** Erases the line for good. */
  end(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.erase();
    this.enabled = false;
  }

  private draw(): void {
    if (!this.enabled || this.progress === null || this.printing > 0) return;
    // Never wider than the terminal: a wrapped line cannot be redrawn in place.
    const width = Math.max(10, (this.stream.columns || 80) - 1);
    this.stream.write(`${ERASE}${formatProgress(this.progress, Date.now() - this.began, width).slice(0, width)}`);
    this.shown = true;
  }

  private erase(): void {
    if (!this.shown) return;
    this.stream.write(ERASE);
    this.shown = false;
  }
}
