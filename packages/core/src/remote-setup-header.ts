import { UsageError } from './errors.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The set-up header: what the remote wrapper (`buildRemoteCommand`) reads from
 * the channel's standard input before anything else. It carries the `--env`
 * values, because a command line is not private: every user on the host reads
 * a process's argv in `ps` and /proc, while only the channel's two ends see
 * its data.
 *
 * The header is lines: per variable, `env NAME N` and then its value as N
 * lines (a value holds any character; each newline in it is one more line),
 * then, for `--script`, `input N` (the script's length in bytes), for
 * `--stdin`, `stdin N` (the length of the command's standard input), and last
 * `end`. The script's N bytes follow `end`, then the standard input's; after
 * them come only the agent's heartbeat bytes, which the orphan watcher reads
 * (see `ORPHAN_WATCH`): the input stays open for the whole run, so both are
 * read by their length, never to end of file. Without `stdin N` the command
 * itself reads /dev/null.
 *
 * With `--sudo`, a `sudo N` record (N lines) carries what sudo's standard
 * input gets: the password's line when there is one, then the header again
 * for the shell sudo starts (the `--env` values, which sudo would otherwise
 * drop). The wrapper keeps it in a variable it never exports.
 */
export function encodeSetupHeader(
  env: Record<string, string>,
  inputBytes: number | null = null,
  stdinBytes: number | null = null,
  sudoInput: string | null = null,
): string {
  const records = Object.entries(env).map(([name, value]) => {
    // parseEnvAssignments already refuses such names; a job built another way must not break the framing.
    if (!NAME.test(name)) throw new UsageError(`environment variable name ${JSON.stringify(name)} is not a NAME`);
    return `env ${name} ${value.split('\n').length}\n${value}\n`;
  });
  const input = inputBytes === null ? '' : `input ${inputBytes}\n`;
  const stdin = stdinBytes === null ? '' : `stdin ${stdinBytes}\n`;
  const sudo = sudoInput === null ? '' : `sudo ${sudoInput.split('\n').length}\n${sudoInput}\n`;
  return `${records.join('')}${input}${stdin}${sudo}end\n`;
}

/**
 * POSIX sh that reads the header from standard input and leaves one `NAME=value`
 * positional parameter per variable, for `export "$1"` to apply later. Nothing
 * is exported while reading, so the reader's own variables (`fleet_*`) cannot
 * overwrite a value the user gave, whatever its name. `read` takes a pipe one
 * byte at a time, so it never consumes what follows `end`. An `input N`
 * record leaves N in `fleet_input_bytes`, a `stdin N` record in
 * `fleet_stdin_bytes` (else they are empty); a `sudo N` record leaves its
 * lines in `fleet_sudo_input`.
 *
 * @param onIncomplete sh run when standard input ends before `end`.
 */
export function readSetupHeader(onIncomplete: string): string {
  return [
    'set --',
    'fleet_input_bytes=',
    'fleet_stdin_bytes=',
    'fleet_sudo_input=',
    'while IFS= read -r fleet_record; do',
    '  case $fleet_record in',
    '  end) break ;;',
    "  'input '*) fleet_input_bytes=${fleet_record#input } ;;",
    "  'stdin '*) fleet_stdin_bytes=${fleet_record#stdin } ;;",
    "  'sudo '*)",
    '    fleet_lines=${fleet_record#sudo }',
    '    IFS= read -r fleet_sudo_input',
    '    while [ "$fleet_lines" -gt 1 ]; do',
    '      IFS= read -r fleet_line',
    '      fleet_sudo_input="$fleet_sudo_input',
    '$fleet_line"',
    '      fleet_lines=$((fleet_lines - 1))',
    '    done ;;',
    "  'env '*)",
    '    fleet_name=${fleet_record#env }',
    '    fleet_lines=${fleet_name##* }',
    '    fleet_name=${fleet_name% *}',
    '    IFS= read -r fleet_value',
    '    while [ "$fleet_lines" -gt 1 ]; do',
    '      IFS= read -r fleet_line',
    '      fleet_value="$fleet_value',
    '$fleet_line"',
    '      fleet_lines=$((fleet_lines - 1))',
    '    done',
    '    set -- "$@" "$fleet_name=$fleet_value" ;;',
    '  esac',
    'done',
    `[ "$fleet_record" = end ] || ${onIncomplete}`,
  ].join('\n');
}
