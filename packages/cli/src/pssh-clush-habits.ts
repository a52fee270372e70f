/**
 * Flags of pssh and clush that fleet does not take (they clash with its own, or
 * fleet does the thing another way), with what to type instead. The ones that
 * fit are accepted as they are: `-w` (as `-c`), `-l`, `-p` (as `--throttle`)
 * and `-t` (as `--timeout`, pssh's meaning); see `commands/invoke.ts`.
 */
const HABITS: ReadonlyMap<string, string> = new Map([
  ['-i', 'fleet prints HOST: line, as pssh -i does: leave it out (-i FILE is an Ansible inventory here)'],
  ['-P', 'fleet prints each line as it arrives, as pssh -P does: leave it out'],
  ['-h', "pssh's -h FILE is -f FILE here"],
  ['-H', "pssh's -H HOST is -c HOST here"],
  ['-b', "clush's -b is --group here"],
  ['-o', "pssh's -o DIR is --outdir DIR here (HOST.out and HOST.err in one directory)"],
  ['-e', "pssh's -e DIR is --outdir DIR here (HOST.out and HOST.err in one directory)"],
  ['-u', "clush's -u SECONDS is --timeout SECONDS (or -t) here"],
  ['-I', "pssh's -I (--send-input) is --stdin here: standard input goes to every host's command only when asked"],
]);

/** The commands that take hosts as pssh and clush do, where their habits are likely. */
const HOST_COMMANDS = new Set(['invoke', 'deploy', 'undeploy']);

/** What to type instead of a pssh or clush flag (`-i`, `-b`) given to `command`, if it is one. */
export function habitAdvice(command: string | undefined, flag: string): string | undefined {
  return command !== undefined && HOST_COMMANDS.has(command) ? HABITS.get(flag) : undefined;
}
