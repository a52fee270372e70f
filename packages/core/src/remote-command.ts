import { hasShebang, type HostCommandSpec, type RunSpec } from './command-spec.js';
import { quoteShellWord } from './shell-quote.js';

/**
 * Lines the remote wrapper writes on stderr before the command starts. They
 * begin with the record separator (0x1e), which no one types, and are taken
 * out of the output.
 */
export const REMOTE_MARKER = '\u001efleet:';

/**
 * The command line sent over SSH. Whatever the login shell (bash, dash, zsh,
 * even csh), it only has to run `exec /bin/sh -c '...'`; the wrapper inside
 * then reports its pid (the session leader sshd made, so that `stop` can
 * signal the whole session), changes directory, sets the environment, and
 * runs the command. A script arrives on standard input and is written to a
 * private temporary file first.
 */
export function buildRemoteCommand(spec: RunSpec<HostCommandSpec>): string {
  const steps = [`printf '${REMOTE_MARKER}pid:%s\\n' "$$" >&2`];
  const command = spec.command;
  if (command.kind === 'script') {
    steps.push(
      `f=$(mktemp "\${TMPDIR:-/tmp}/fleet-script.XXXXXX") || { printf '${REMOTE_MARKER}error:cannot create a temporary file for the script\\n' >&2; exit 126; }`,
      `trap 'rm -f "$f"' EXIT`,
      `cat > "$f" && chmod 700 "$f" || { printf '${REMOTE_MARKER}error:cannot write the script to %s\\n' "$f" >&2; exit 126; }`,
    );
  }
  if (spec.workdir !== null) {
    const dir = quoteShellWord(spec.workdir);
    steps.push(
      `cd -- ${dir} 2>/dev/null || { printf '${REMOTE_MARKER}error:working directory %s does not exist\\n' ${dir} >&2; exit 126; }`,
    );
  }
  for (const [key, value] of Object.entries(spec.env)) steps.push(`export ${key}=${quoteShellWord(value)}`);
  steps.push(`printf '${REMOTE_MARKER}start\\n' >&2`);
  if (command.kind === 'shell') {
    steps.push(command.line);
  } else {
    const args = command.args.map(quoteShellWord).join(' ');
    steps.push(`${hasShebang(command.content) ? '"$f"' : '/bin/sh "$f"'} ${args} </dev/null`);
  }
  return `exec /bin/sh -c ${quoteShellWord(steps.join('\n'))}`;
}

/** The command that signals everything a remote command started (its process group and session). */
export function buildRemoteKill(pid: number, signal: 'TERM' | 'KILL'): string {
  return `kill -${signal} -- -${pid} 2>/dev/null; pkill -${signal} -s ${pid} 2>/dev/null; true`;
}

/** What a wrapper line says, or null for an ordinary line. */
export type RemoteMarker = { kind: 'pid'; pid: number } | { kind: 'error'; message: string } | { kind: 'start' };

export function parseRemoteMarker(line: string): RemoteMarker | null {
  if (!line.startsWith(REMOTE_MARKER)) return null;
  const body = line.slice(REMOTE_MARKER.length);
  if (body.startsWith('pid:')) {
    const pid = Number(body.slice(4));
    return Number.isSafeInteger(pid) && pid > 1 ? { kind: 'pid', pid } : null;
  }
  if (body.startsWith('error:')) return { kind: 'error', message: body.slice(6) };
  if (body === 'start') return { kind: 'start' };
  return null;
}
