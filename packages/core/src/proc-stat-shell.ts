/**
 * Shell lines that set the positional parameters to the fields of
 * /proc/PID/stat after the command name (`$1` the state, field 3; `$3` the
 * process group, field 5; `$20` the start time, field 22), or to nothing
 * where there is no /proc or no such process. The name is skipped up to its
 * last `) `, since a name can hold spaces and parentheses. PID is a shell
 * word (`"$$"`, `"$1"`). Runs in any POSIX sh, BusyBox's included.
 */
export function readProcStatLines(pid: string): string[] {
  return ['fleet_stat=', `{ read -r fleet_stat < "/proc/${pid}/stat"; } 2>/dev/null`, 'set -- ${fleet_stat##*) }'];
}
