import type { EventEmitter } from 'node:events';
import { InterruptedError, OutputClosedError } from '@fleet/core';

/** What can end a command from outside while it still has to clean up after itself. */
export type Interruption = InterruptedError | OutputClosedError;

/** SIGHUP (the terminal went away) is taken as SIGINT is. */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Catches, for a command that owns something it must clean up (a synchronous
 * `invoke` owns its job), SIGINT, SIGTERM and SIGHUP, and its standard output
 * being closed under it (`| head`). The first of them is kept and handed to
 * {@link onFirst}. From then on signals are no longer caught: a second Ctrl-C
 * ends the process at once, as it would by default.
 */
export class Interrupts {
  private first: Interruption | undefined;
  private listener: ((reason: Interruption) => void) | undefined;

  constructor(
    private readonly signals: Pick<EventEmitter, 'on' | 'off'> = process,
    private readonly stdout: Pick<EventEmitter, 'on' | 'off'> = process.stdout,
  ) {
    for (const signal of SIGNALS) signals.on(signal, this.onSignal);
    stdout.on('error', this.onOutputError);
  }

  /** The first interruption, once there has been one. */
  get reason(): Interruption | undefined {
    return this.first;
  }

  /** Calls `listener` with the first interruption, once: at once if it has come already. */
  onFirst(listener: (reason: Interruption) => void): void {
    this.listener = listener;
    if (this.first !== undefined) listener(this.first);
  }

  /** Stops catching anything. */
  release(): void {
    this.stopCatchingSignals();
    this.stdout.off('error', this.onOutputError);
  }

  private readonly onSignal = (signal: (typeof SIGNALS)[number]) => this.interrupt(new InterruptedError(signal));

  private readonly onOutputError = (error: unknown) => this.interrupt(new OutputClosedError(error));

  private interrupt(reason: Interruption): void {
    if (this.first !== undefined) return;
    this.first = reason;
    this.stopCatchingSignals();
    this.listener?.(reason);
  }

  private stopCatchingSignals(): void {
    for (const signal of SIGNALS) this.signals.off(signal, this.onSignal);
  }
}
