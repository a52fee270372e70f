/**
 * Logs a BullMQ worker's errors without flooding the agent's log while Redis
 * is away. BullMQ reports a lost connection each time it tries again (twice
 * every 2 s for one agent, into a log several agents share), so the first
 * error is logged, the repeats are counted and summed up at most every
 * `reminderMs`, and one line says when Redis is ready again.
 */
export class WorkerErrorLog {
  private troubleSince: number | null = null;
  private lastLoggedAt = 0;
  private unlogged = 0;

  constructor(
    private readonly log: (line: string) => void,
    private readonly reminderMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A worker error: logged if it is the first since Redis was last ready, or a reminder is due. */
  error(message: string): void {
    const now = this.now();
    if (this.troubleSince === null) {
      this.troubleSince = now;
      this.lastLoggedAt = now;
      this.unlogged = 0;
      this.log(`worker error: ${message} (repeats are summed up every ${seconds(this.reminderMs)}s until Redis answers again)`);
      return;
    }
    this.unlogged += 1;
    if (now - this.lastLoggedAt < this.reminderMs) return;
    this.log(`worker error for ${seconds(now - this.troubleSince)}s now (${this.unlogged} more): ${message}`);
    this.lastLoggedAt = now;
    this.unlogged = 0;
  }

  /** Redis answers again (its connection is ready): says so once, if errors were logged. */
  ready(): void {
    if (this.troubleSince === null) return;
    const unlogged = this.unlogged === 0 ? '' : `, ${this.unlogged} more errors since the last line`;
    this.log(`Redis answers again after ${seconds(this.now() - this.troubleSince)}s of worker errors${unlogged}`);
    this.troubleSince = null;
  }
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}
