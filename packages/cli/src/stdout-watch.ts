import type { EventEmitter } from 'node:events';
import { OutputClosedError } from '@fleet/core';

/**
 * Watches standard output for being closed under the CLI (EPIPE when the
 * reader of a pipe has gone, as with `| head`; EIO when the terminal has), so
 * that the error is never an uncaught exception with a stack trace, and the
 * CLI's entry can end quietly as a Unix tool does. Errors on standard error
 * are let go: there is nowhere left to say anything.
 */
export class StdoutWatch {
  private error: OutputClosedError | undefined;

  constructor(stdout: Pick<EventEmitter, 'on'> = process.stdout, stderr: Pick<EventEmitter, 'on'> = process.stderr) {
    stdout.on('error', (cause: unknown) => (this.error ??= new OutputClosedError(cause)));
    stderr.on('error', () => {});
  }

  /** Set once standard output has been found closed. */
  get closed(): OutputClosedError | undefined {
    return this.error;
  }
}
