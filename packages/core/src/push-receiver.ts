import { REMOTE_MARKER, REMOTE_STDOUT_MARKER } from './remote-command.js';

/**
 * The receiving end of a push: a POSIX sh script (dash, bash, BusyBox ash)
 * that reads the push's frames (see push-frames.ts) from standard input and
 * writes each entry on the host. It needs only what every Linux host has:
 * `dd` (with `iflag=fullblock`), `wc`, `tr`, `mktemp`, `mv`, `rm`, `chmod`,
 * `chown`, `mkdir`, `ln`, `touch -t`, `stat -c`, `readlink`, `date`, and `sha256sum`
 * (coreutils or BusyBox) to tell an unchanged file; without it every file
 * counts as changed. Content is read with `dd` in whole blocks, never
 * `head -c`: BusyBox's head reads ahead through stdio and would eat the
 * frames after the file. It runs over an SSH exec
 * channel (no SFTP subsystem needed) or, for `localhost` and node agents,
 * under a local /bin/sh.
 *
 * - Each file is written to a temporary name beside its destination (mktemp:
 *   mode 0600, so no one reads it half written), read by its length, then
 *   the frame's `commit` line, then given its mode (and with `-p` its
 *   mtime) and renamed into place with `mv -f`: a host sees the old file or
 *   the new one, never part of one. Input that ends first (the agent
 *   stopped, the connection dropped) leaves no file under the real name:
 *   the temporary file is removed on exit, and on TERM, HUP and INT, and
 *   before a failure is printed (SIGPIPE is ignored: a receiver whose
 *   reader is gone must still reach its clean-up, not die printing).
 * - A symbolic link already on the host at an entry's path is never
 *   followed: a `dir` entry there fails ("is a symbolic link on the host");
 *   a file or link replaces the link itself (a rename replaces a link to a
 *   file at once; a link to a directory is removed first, as `mv` would
 *   move into it); modes and times are set only on what is not a link. The
 *   destination the user wrote may itself be a link, and is followed.
 * - A replaced file keeps its owner and group where the receiver may give
 *   them (as root), and without `-p` its mode.
 * - Directories are made 0700 and get their final mode in the `done` frame
 *   after their content, so a 0555 directory in a tree can be filled.
 * - A file whose size and SHA-256 already match is not rewritten. The probe
 *   (see push-frames.ts) finds such files before any content is sent and
 *   answers `have N` for each, then `probed`; the agent then sends them as
 *   `same`, without their bytes. The probe stamps each file it has (size,
 *   times to the nanosecond, inode) before hashing it, and a `same` frame
 *   whose file's stamp differs is hashed again; so is one whose ctime was
 *   not a second older than the probe (racily clean: a rewrite in the same
 *   clock tick keeps the stamp). A `file` frame whose content matches
 *   anyway (a feeder that did not wait) has its bytes read and dropped.
 *   With `-p`, a file taken as unchanged is checked to be a regular file,
 *   not a link, just before its chmod and touch; else the entry fails.
 * - With VERIFY in the `dest` frame (deploy sets it), the temporary file is
 *   hashed before the rename and refused unless it hashes to the frame's
 *   SHA-256 (where `sha256sum` exists; its length is checked everywhere).
 * - It reports on stdout, after the wrapper's stdout marker: `placed into`
 *   or `placed as` (how the destination was taken, see
 *   {@link pushTarget}), the probe's answer (`have N`..., `probed`), then
 *   `changed N` or `unchanged N` per file and link,
 *   N the entry's index. A failure is the wrapper's error marker,
 *   `entry N: problem` or `dest: problem`; the agent puts the paths in
 *   (paths never cross as text, so no name can break a line).
 */
const RECEIVER = String.raw`
fleet_tmp=
fleet_drop_tmp() { [ -z "$fleet_tmp" ] || rm -f -- "$fleet_tmp"; fleet_tmp=; }
trap fleet_drop_tmp EXIT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 130' INT
trap '' PIPE
fleet_fail() { fleet_drop_tmp; printf '${REMOTE_MARKER}error:%s\n' "$1" >&2; exit 1; }
fleet_copy() {
  fleet_blocks=$(($1 / 1048576))
  fleet_rest=$(($1 % 1048576))
  if [ "$fleet_blocks" -gt 0 ]; then dd bs=1048576 count="$fleet_blocks" iflag=fullblock || return 1; fi
  if [ "$fleet_rest" -gt 0 ]; then dd bs="$fleet_rest" count=1 iflag=fullblock || return 1; fi
  return 0
}
fleet_linked() { [ "$fleet_target" != "$fleet_dest" ] && [ -h "$fleet_target" ]; }
fleet_cut() { fleet_fail "entry $fleet_index: the transfer was cut before the file was whole"; }
fleet_read_value() {
  IFS= read -r fleet_value || return 1
  fleet_n=$1
  while [ "$fleet_n" -gt 1 ]; do
    IFS= read -r fleet_line || return 1
    fleet_value="$fleet_value
$fleet_line"
    fleet_n=$((fleet_n - 1))
  done
}
fleet_mode_of() {
  if [ "$fleet_preserve" = 1 ]; then fleet_mode=$1; else fleet_mode=$(printf '%o' $((0$1 & ~0$(umask)))); fi
}
fleet_tmp_beside() {
  fleet_dir=${'$'}{fleet_target%/*}
  [ "$fleet_dir" != "$fleet_target" ] || fleet_dir=.
  [ -n "$fleet_dir" ] || fleet_dir=/
  if [ -d "$fleet_target" ] && [ ! -h "$fleet_target" ]; then fleet_fail "entry $fleet_index: is a directory"; fi
  if fleet_tmp=$(mktemp "$fleet_dir/.fleet-push.XXXXXX" 2>/dev/null); then return 0; fi
  fleet_tmp=
  if [ ! -d "$fleet_dir" ]; then fleet_fail "entry $fleet_index: no such directory"; fi
  if [ ! -w "$fleet_dir" ]; then fleet_fail "entry $fleet_index: permission denied (cannot write in its directory)"; fi
  fleet_fail "entry $fleet_index: cannot create a temporary file in its directory"
}
fleet_place() {
  if [ -h "$fleet_target" ] && [ -d "$fleet_target" ]; then
    rm -f -- "$fleet_target" 2>/dev/null || fleet_fail "entry $fleet_index: cannot replace the symbolic link"
  fi
  fleet_mv_error=$(mv -f -- "$fleet_tmp" "$fleet_target" 2>&1) || fleet_fail "entry $fleet_index: cannot rename into place: $(printf '%s' "$fleet_mv_error" | tr '\n' ' ')"
  fleet_tmp=
}
fleet_set_time() {
  [ "$fleet_preserve" = 1 ] || return 0
  TZ=UTC0 touch -t "$2" -- "$1" 2>/dev/null || fleet_fail "entry $fleet_index: cannot set its modification time"
}
fleet_target_of() {
  if [ -n "$fleet_into" ]; then
    fleet_target="$fleet_dest/$fleet_path"
  else
    case $fleet_path in
    */*) fleet_target="$fleet_dest/${'$'}{fleet_path#*/}" ;;
    *) fleet_target=$fleet_dest ;;
    esac
  fi
}
fleet_same_content() {
  [ -n "$fleet_has_sha256" ] && [ -f "$fleet_target" ] && [ ! -h "$fleet_target" ] &&
    [ "$(($(wc -c < "$fleet_target" 2>/dev/null || echo -1)))" = "$1" ] &&
    fleet_sum=$(sha256sum < "$fleet_target" 2>/dev/null) && [ "${'$'}{fleet_sum%% *}" = "$2" ]
}
# ctime in whole seconds first (for the racily clean rule), then size, times to the nanosecond, inode.
fleet_stamp() { stat -c '%Z %s %y %z %i' -- "$fleet_target" 2>/dev/null; }
fleet_regular() { [ -f "$fleet_target" ] && [ ! -h "$fleet_target" ] || fleet_fail "entry $fleet_index: changed on the host during the push (push again)"; }
# -p on a file kept as it was: mode and time from the frame, on the regular file only.
fleet_keep_preserved() {
  if [ "$fleet_preserve" = 1 ]; then
    fleet_regular
    fleet_mode_of "$fleet_a"
    chmod "$fleet_mode" -- "$fleet_target" 2>/dev/null
    fleet_set_time "$fleet_target" "$fleet_d"
  fi
}
fleet_number() {
  case $1 in
  '' | *[!0-9]*) fleet_fail "dest: unknown frame" ;;
  esac
}
fleet_has_sha256=
fleet_made=
if command -v sha256sum >/dev/null 2>&1; then fleet_has_sha256=1; fi
printf '${REMOTE_STDOUT_MARKER.replace('\n', '\\n')}'
printf '${REMOTE_MARKER}pid:%s\n' "$$" >&2
IFS=' ' read -r fleet_word fleet_lines fleet_place_as fleet_preserve fleet_verify || fleet_fail "dest: the push's frames did not arrive"
[ "$fleet_word" = dest ] && fleet_read_value "$fleet_lines" || fleet_fail "dest: the push's frames did not arrive"
fleet_dest=$fleet_value
case $fleet_dest in
/*) ;;
*) cd "${'$'}{HOME:-.}" 2>/dev/null || fleet_fail 'dest: the home directory is not there' ;;
esac
if [ "$fleet_place_as" = 2 ]; then
  fleet_into=
  echo 'placed as'
elif [ -d "${'$'}{fleet_dest:-/}" ]; then
  fleet_into=1
  echo 'placed into'
elif [ "$fleet_place_as" = 1 ]; then
  fleet_into=
  echo 'placed as'
else
  fleet_fail 'dest: no such directory'
fi
IFS=' ' read -r fleet_word fleet_count && [ "$fleet_word" = probe ] || fleet_fail "dest: the push's frames did not arrive"
fleet_number "$fleet_count"
# The probe's moment: a stamp whose ctime is not a second older cannot tell a rewrite in the same clock tick.
fleet_since=$(date +%s 2>/dev/null) || fleet_since=0
while [ "$fleet_count" -gt 0 ]; do
  IFS=' ' read -r fleet_word fleet_index fleet_size fleet_c fleet_lines || fleet_fail "dest: the push's frames did not arrive"
  [ "$fleet_word" = check ] || fleet_fail "dest: unknown frame"
  fleet_number "$fleet_index"
  fleet_read_value "$fleet_lines" || fleet_cut
  fleet_path=$fleet_value
  fleet_target_of
  # Stamped before hashing: a change during the hash changes the stamp.
  fleet_probe_stamp=$(fleet_stamp) || fleet_probe_stamp=
  if fleet_same_content "$fleet_size" "$fleet_c"; then
    # Racily clean (ctime not older than the probe): kept empty, so that its same frame hashes it again.
    case $fleet_probe_stamp in
    [0-9]*' '*) [ "${'$'}{fleet_probe_stamp%% *}" -lt "$((fleet_since - 1))" ] || fleet_probe_stamp= ;;
    *) fleet_probe_stamp= ;;
    esac
    eval "fleet_have_$fleet_index=\$fleet_probe_stamp"
    echo "have $fleet_index"
  fi
  fleet_count=$((fleet_count - 1))
done
echo probed
while IFS=' ' read -r fleet_word fleet_index fleet_a fleet_b fleet_c fleet_d fleet_e; do
  case $fleet_word in
  end) exit 0 ;;
  file | same) fleet_read_value "$fleet_e" || fleet_cut ;;
  dir) fleet_read_value "$fleet_b" || fleet_cut ;;
  link) fleet_read_value "$fleet_a" || fleet_cut ;;
  done) fleet_read_value "$fleet_c" || fleet_cut ;;
  *) fleet_fail "dest: unknown frame" ;;
  esac
  fleet_path=$fleet_value
  fleet_target_of
  case $fleet_word in
  dir)
    if fleet_linked; then fleet_fail "entry $fleet_index: is a symbolic link on the host"; fi
    if [ ! -d "$fleet_target" ]; then
      mkdir -m 700 -- "$fleet_target" 2>/dev/null || {
        fleet_dir=${'$'}{fleet_target%/*}
        [ ! -e "$fleet_target" ] || fleet_fail "entry $fleet_index: is not a directory on the host"
        [ -d "${'$'}{fleet_dir:-/}" ] || fleet_fail "entry $fleet_index: no such directory"
        [ -w "${'$'}{fleet_dir:-/}" ] || fleet_fail "entry $fleet_index: permission denied (cannot create the directory)"
        fleet_fail "entry $fleet_index: cannot create the directory"
      }
      fleet_made="$fleet_made $fleet_index "
    fi
    ;;
  done)
    if ! fleet_linked && [ -d "$fleet_target" ]; then
      case $fleet_made in
      *" $fleet_index "*) fleet_new=1 ;;
      *) fleet_new= ;;
      esac
      if [ -n "$fleet_new" ] || [ "$fleet_preserve" = 1 ]; then
        fleet_mode_of "$fleet_a"
        chmod "$fleet_mode" -- "$fleet_target" 2>/dev/null
      fi
      [ "$fleet_b" = - ] || fleet_set_time "$fleet_target" "$fleet_b"
    fi
    ;;
  link)
    fleet_read_value "$fleet_b" || fleet_cut
    fleet_link=$fleet_value
    if [ -h "$fleet_target" ] && [ "$(readlink -- "$fleet_target"; echo x)" = "$fleet_link
x" ]; then
      echo "unchanged $fleet_index"
    else
      fleet_tmp_beside
      ln -sf -- "$fleet_link" "$fleet_tmp" 2>/dev/null || fleet_fail "entry $fleet_index: cannot create the link"
      fleet_place
      echo "changed $fleet_index"
    fi
    ;;
  same)
    fleet_number "$fleet_index"
    eval "fleet_probed=\${fleet_have_$fleet_index-}"
    # Unchanged since the probe (size, times, inode), or hashing the same still: else its content never came.
    if [ -z "$fleet_probed" ] || [ "$(fleet_stamp)" != "$fleet_probed" ]; then
      fleet_same_content "$fleet_b" "$fleet_c" || fleet_fail "entry $fleet_index: changed on the host during the push (push again)"
    fi
    fleet_keep_preserved
    echo "unchanged $fleet_index"
    ;;
  file)
    fleet_size=$fleet_b
    if fleet_same_content "$fleet_size" "$fleet_c"; then
      fleet_copy "$fleet_size" > /dev/null 2>&1 || fleet_cut
      IFS= read -r fleet_commit && [ "$fleet_commit" = commit ] || fleet_cut
      fleet_keep_preserved
      echo "unchanged $fleet_index"
    else
      fleet_existing_mode=
      fleet_existing_owner=
      if [ -f "$fleet_target" ] && [ ! -h "$fleet_target" ]; then
        [ "$fleet_preserve" = 1 ] || fleet_existing_mode=$(stat -c %a -- "$fleet_target" 2>/dev/null)
        fleet_existing_owner=$(stat -c %u:%g -- "$fleet_target" 2>/dev/null)
      fi
      fleet_tmp_beside
      if ! fleet_write_error=$(fleet_copy "$fleet_size" 2>&1 > "$fleet_tmp"); then
        case $fleet_write_error in
        *'No space'*) fleet_fail "entry $fleet_index: disk full" ;;
        *) fleet_fail "entry $fleet_index: cannot write: $(printf '%s' "$fleet_write_error" | tr '\n' ' ')" ;;
        esac
      fi
      [ "$(($(wc -c < "$fleet_tmp")))" = "$fleet_size" ] || fleet_cut
      IFS= read -r fleet_commit && [ "$fleet_commit" = commit ] || fleet_cut
      if [ "$fleet_verify" = 1 ] && [ -n "$fleet_has_sha256" ]; then
        fleet_sum=$(sha256sum < "$fleet_tmp" 2>/dev/null)
        [ "${'$'}{fleet_sum%% *}" = "$fleet_c" ] || fleet_fail "entry $fleet_index: what landed does not hash to the SHA-256 sent"
      fi
      [ -z "$fleet_existing_owner" ] || chown -- "$fleet_existing_owner" "$fleet_tmp" 2>/dev/null
      if [ -n "$fleet_existing_mode" ]; then fleet_mode=$fleet_existing_mode; else fleet_mode_of "$fleet_a"; fi
      chmod "$fleet_mode" -- "$fleet_tmp" 2>/dev/null || fleet_fail "entry $fleet_index: cannot set its mode"
      [ "$fleet_d" = - ] || fleet_set_time "$fleet_tmp" "$fleet_d"
      fleet_place
      echo "changed $fleet_index"
    fi
    ;;
  esac
done
fleet_fail 'dest: the transfer was cut before it was whole'
`;

/** The receiver's steps, for the wrapper that puts it in a session of its own (SSH) or for `/bin/sh -c` (locally). */
export function buildPushReceiver(): string {
  return RECEIVER.trim();
}
