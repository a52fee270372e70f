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

  /**
   * Takes a block of newline-terminated lines: returns how many of its bytes
   * are kept, always whole lines (the longest run from the start that fits),
   * exactly as taking its lines one by one would.
   */
  takeLines(block: Uint8Array): number {
    if (this.take(block.length)) return block.length;
    if (this.droppedBytes > block.length) return 0; // something was dropped before: keep nothing more
    // This block crossed the cap: keep the whole lines that fit in the room left.
    const room = this.capBytes - this.used;
    const kept = room === 0 ? 0 : Buffer.from(block.buffer, block.byteOffset, block.byteLength).lastIndexOf(0x0a, room - 1) + 1;
    this.used += kept;
    this.droppedBytes -= kept;
    return kept;
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
