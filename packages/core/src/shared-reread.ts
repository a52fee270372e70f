/** What one read of some files gave: the version (stamps) it read at, and whether it read them cleanly. */
export interface RereadOutcome {
  version: string;
  ok: boolean;
}

/**
 * Keeps what is read from files current, for many callers at once. `refresh`
 * reads again when the files' version moved since the last clean read, or
 * when that read failed (so a failure is retried by the next caller, never
 * kept). One read at a time, shared by every caller that asks meanwhile; a
 * caller that joins a read begun before the change it saw (the read's
 * version is not the one it saw) waits for one more read, begun after it.
 * The I/O is the caller's: `version` and `read` are passed in.
 */
export class SharedReread {
  /** The version of the last clean read; null before one, or after a failed read. */
  private current: string | null = null;
  private reading: Promise<RereadOutcome> | null = null;

  constructor(
    private readonly version: () => Promise<string>,
    private readonly read: () => Promise<RereadOutcome>,
    private readonly wait: (ms: number) => Promise<void>,
  ) {}

  /** Reads again if the files changed since the last clean read, or that read failed. */
  async refresh(): Promise<RereadOutcome | null> {
    const seen = await this.version();
    if (seen === this.current) return null;
    const joined = await this.shared(0);
    if (joined.version === seen) return joined;
    return this.shared(0);
  }

  /** A read after `waitMs`, shared with every caller meanwhile (a read already under way serves instead). */
  again(waitMs: number): Promise<RereadOutcome> {
    return this.shared(waitMs);
  }

  private shared(waitMs: number): Promise<RereadOutcome> {
    this.reading ??= (async () => {
      if (waitMs > 0) await this.wait(waitMs);
      const outcome = await this.read();
      this.current = outcome.ok ? outcome.version : null;
      return outcome;
    })().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }
}
