/**
 * The per-job output cap (SPEC §3): lines are kept until the cap is reached;
 * past it they are dropped and counted, and the command runs on.
 */
export class OutputBudget {
  private used = 0;
  private droppedBytes = 0;

  constructor(readonly capBytes: number) {}

  /** Returns whether a line of `bytes` bytes may be kept. */
  take(bytes: number): boolean {
    if (this.droppedBytes === 0 && this.used + bytes <= this.capBytes) {
      this.used += bytes;
      return true;
    }
    this.droppedBytes += bytes;
    return false;
  }

  /** Counts bytes dropped without looking at them: once the cap is reached, everything after is dropped. */
  drop(bytes: number): void {
    this.droppedBytes += bytes;
  }

  /** True once anything has been dropped; from then on nothing more is kept. */
  get exhausted(): boolean {
    return this.droppedBytes > 0;
  }

  get dropped(): number {
    return this.droppedBytes;
  }
}

/** The `error` record's words when output was dropped past the cap. */
export function describeDroppedOutput(droppedBytes: number, capBytes: number): string {
  return `output exceeded ${formatBytes(capBytes)}: dropped the remaining ${formatBytes(droppedBytes)} (set FLEET_MAX_OUTPUT to keep more)`;
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
