import { readStdinWithin } from '@fleet/core';

/**
 * `--stdin`: this process's standard input, read to its end under the cap
 * (FLEET_MAX_STDIN) before anything is stored. From a terminal it says once
 * on stderr how to end it, as nothing else would tell the user why fleet waits.
 */
export function readCommandInput(capBytes: number): Promise<Buffer[]> {
  if (process.stdin.isTTY) process.stderr.write('fleet: reading standard input for --stdin; end it with Ctrl-D\n');
  return readStdinWithin(process.stdin, capBytes);
}
