/**
 * The per-child output cap (SPEC §11): `capBytes` bounds how much of a
 * child's output Redis holds unreceived, not how much passes through. What
 * is unreceived is counted in Redis (written minus received); the agent asks
 * for `room` with that count. Past the cap, when no reader is following,
 * output is dropped, and once anything has been dropped everything after it
 * is too: what was kept is always the start of what the command wrote, never
 * output with a hole in it.
 */
export class OutputBudget {
  private droppedBytes = 0;

  constructor(readonly capBytes: number) {}

  /** Bytes that may be kept now, with `unreceivedBytes` held unreceived; none once anything was dropped. */
  room(unreceivedBytes: number): number {
    return this.droppedBytes > 0 ? 0 : Math.max(0, this.capBytes - unreceivedBytes);
  }

  /** Counts bytes dropped: from now on nothing more is kept. */
  drop(bytes: number): void {
    this.droppedBytes += bytes;
  }

  /** True once anything has been dropped. */
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

/** The part of a job's reason that says output was dropped, in the same words as {@link describeDroppedOutput}. */
export function describeDroppedInReason(droppedBytes: number, capBytes: number): string {
  return `${formatBytes(droppedBytes)} of output past FLEET_MAX_OUTPUT (${formatBytes(capBytes)}) was dropped`;
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
