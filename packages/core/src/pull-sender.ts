import type { PullCommandSpec } from './command-spec.js';
import { REMOTE_MARKER, REMOTE_STDOUT_MARKER } from './remote-command.js';
import { quoteShellWord } from './shell-quote.js';

/**
 * The sending end of a pull: a POSIX sh script (dash, bash, BusyBox ash)
 * that writes each path as a tar stream on its standard output, one archive
 * after another, with `tar -cf -` run in the path's directory on `./NAME`
 * (so every name in the stream starts with the path's base name, and none
 * is taken for an option). tar is never given `-h`: symbolic links travel
 * as links, never followed. GNU tar and BusyBox tar both write this.
 *
 * Before tar, each path is checked: missing ("no such file or
 * directory"), unreadable ("permission denied"), a directory without `-r`.
 * Those, and a tar that could not read all of a tree (its own messages go
 * to stderr, naming the file), are noted and the next path is sent; at the
 * end the first problem is the wrapper's error marker, so the child fails
 * with a reason that names the path, while the other paths still land.
 * It runs in the home directory (a `~/` path is sent as `./…`).
 */
export function buildPullSender(command: PullCommandSpec): string {
  const pairs = command.paths.map(
    (path) => `${quoteShellWord(path)} ${quoteShellWord(path.startsWith('~/') ? `.${path.slice(1)}` : path)}`,
  );
  return String.raw`
fleet_failed=
fleet_problems=0
fleet_note() {
  fleet_problems=$((fleet_problems + 1))
  [ -n "$fleet_failed" ] || fleet_failed="$1"
  printf 'fleet pull: %s\n' "$1" >&2
}
printf '${REMOTE_STDOUT_MARKER.replace('\n', '\\n')}'
printf '${REMOTE_MARKER}pid:%s\n' "$$" >&2
cd "${'$'}{HOME:-.}" 2>/dev/null || { printf '${REMOTE_MARKER}error:the home directory is not there\n' >&2; exit 1; }
fleet_recursive=${command.recursive ? 1 : ''}
set -- ${pairs.join(' ')}
while [ "$#" -ge 2 ]; do
  fleet_shown=$1
  fleet_path=$2
  shift 2
  fleet_dir=${'$'}{fleet_path%/*}
  fleet_base=${'$'}{fleet_path##*/}
  [ -n "$fleet_dir" ] || fleet_dir=/
  if [ ! -e "$fleet_path" ] && [ ! -h "$fleet_path" ]; then
    if [ -d "$fleet_dir" ] && [ ! -x "$fleet_dir" ]; then
      fleet_note "$fleet_shown: permission denied"
    else
      fleet_note "$fleet_shown: no such file or directory"
    fi
    continue
  fi
  if [ -d "$fleet_path" ] && [ ! -h "$fleet_path" ]; then
    if [ -z "$fleet_recursive" ]; then fleet_note "$fleet_shown: is a directory (pull it with -r)"; continue; fi
    if [ ! -r "$fleet_path" ] || [ ! -x "$fleet_path" ]; then fleet_note "$fleet_shown: permission denied"; continue; fi
  elif [ ! -h "$fleet_path" ] && [ ! -r "$fleet_path" ]; then
    fleet_note "$fleet_shown: permission denied"
    continue
  fi
  (cd "$fleet_dir" && exec tar -cf - "./$fleet_base")
  fleet_status=$?
  [ "$fleet_status" = 0 ] || fleet_note "$fleet_shown: tar could not read all of it (status $fleet_status)"
done
if [ -n "$fleet_failed" ]; then
  [ "$fleet_problems" = 1 ] || fleet_failed="$fleet_failed (and $((fleet_problems - 1)) more, on stderr)"
  printf '${REMOTE_MARKER}error:%s\n' "$(printf '%s' "$fleet_failed" | tr '\n' ' ')" >&2
  exit 1
fi
exit 0
`.trim();
}
