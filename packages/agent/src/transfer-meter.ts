/** How often an agent tells Redis what its transfers moved, at most: the progress line redraws every 250 ms. */
export const TRANSFER_REPORT_MS = 500;

/**
 * Counts the bytes an agent's transfers (push, pull) move, per top-level
 * job, and hands each job's sum on at most once per `intervalMs`: one Redis
 * command per job and interval, whatever the number of its children on this
 * agent or of the chunks they move (a write per chunk per child would be
 * 100 commands a second for one 100 MB file to one host); and once more
 * as a child ends ({@link flushJob}), so that a finished job's count is
 * whole (only if bytes are pending: of many children ending together, the
 * first reports for all). Best effort: a report
 * that fails (Redis full, away) is dropped; it only feeds the progress line.
 */
export class TransferMeter {
  private pending = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly report: (rootId: number, bytes: number) => Promise<void>,
    private readonly intervalMs = TRANSFER_REPORT_MS,
  ) {}

  add(rootId: number, bytes: number): void {
    if (bytes <= 0) return;
    this.pending.set(rootId, (this.pending.get(rootId) ?? 0) + bytes);
    if (this.timer !== null) return;
    this.timer = setTimeout(() => void this.flush(), this.intervalMs);
    // Never what keeps an agent alive.
    this.timer.unref();
  }

  /** Reports what is pending for one job now, if anything is. */
  async flushJob(rootId: number): Promise<void> {
    const bytes = this.pending.get(rootId);
    if (bytes === undefined) return;
    this.pending.delete(rootId);
    await this.report(rootId, bytes).catch(() => {});
  }

  /** Reports what is pending now; resolves once every report settled. */
  async flush(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const due = this.pending;
    this.pending = new Map();
    await Promise.all([...due].map(([rootId, bytes]) => this.report(rootId, bytes).catch(() => {})));
  }
}
