// Pure: what the soak's children run, and how their lines read back.

/** What a fan-out of the soak does: print its lines and end; or print them, then sleep until `--timeout` or `stop` ends it. */
export type FanOutKind = 'lines' | 'timeout' | 'stop';

export interface SoakCommandOptions {
  /** Where each run leaves its marker file, `<child id>.<shell pid>`; every host's user may write there. */
  runsDir: string;
  /** `sleep` under a name that carries the soak's marker, so that a command left running can be found. */
  sleep: string;
  /** How many numbered lines it prints. */
  lines: number;
  /** Sleep for ten minutes after the lines, for a stop or a timeout to end. */
  long: boolean;
}

/**
 * The shell command of a soak child: leave a marker file for this run, print
 * `soak line N of L` for N = 1..L with a pause every 25 lines (a few seconds in
 * all, so that faults land mid-command), and, for the long kinds, sleep on.
 */
export function soakCommand({ runsDir, sleep, lines, long }: SoakCommandOptions): string {
  const body = [
    `touch '${runsDir}/'"$FLEET_JOB_ID.$$"`,
    'i=1',
    `while [ $i -le ${lines} ]; do echo "soak line $i of ${lines}"; [ $((i % 25)) -ne 0 ] || '${sleep}' 0.25; i=$((i + 1)); done`,
  ];
  return [...body, ...(long ? [`'${sleep}' 600`] : [])].join('; ');
}

/** The number N of a `soak line N of L` line; null for any other line. */
export function soakLineNumber(line: string): number | null {
  const match = /^soak line (\d+) of \d+$/.exec(line);
  return match ? Number(match[1]) : null;
}

/** The child id a run's marker file names (`<child id>.<shell pid>`); null for another file. */
export function runChildId(fileName: string): number | null {
  const match = /^(\d+)\.\d+$/.exec(fileName);
  return match ? Number(match[1]) : null;
}
