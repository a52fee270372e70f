import { escapeJsonControls, escapeTerminalText } from '@fleet/core';

/**
 * Whether host text bound for this stream is shown escaped (core's
 * `escapeTerminalBytes`, as `cat -v` shows control characters): on a
 * terminal, unless `--raw`. A pipe or a file gets the bytes as they are.
 */
export function escapesOn(stream: { isTTY?: boolean }, raw = false): boolean {
  return !raw && stream.isTTY === true;
}

/**
 * Text that may hold what a host or Redis said (a reason, a job's name or
 * command, an error message), escaped where it lands on a terminal.
 */
export function forTerminal(stream: NodeJS.WriteStream, text: string): string {
  return escapesOn(stream) ? escapeTerminalText(text) : text;
}

/** JSON bound for this stream, with DEL and C1 controls `\\u`-escaped on a terminal (the same value either way). */
export function jsonForTerminal(stream: { isTTY?: boolean }, json: string): string {
  return stream.isTTY === true ? escapeJsonControls(json) : json;
}
