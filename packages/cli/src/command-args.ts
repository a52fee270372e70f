import { readFile } from 'node:fs/promises';
import {
  FileReadError,
  JOB_STATES,
  commandLineFromArgv,
  commandLineFromWords,
  parseComputerNames,
  parseHostList,
  parseJobSelector,
  parseJobState,
  UsageError,
  type CommandSpec,
  type HostEntry,
  type JobSelector,
  type JobState,
} from '@fleet/core';

/**
 * What to run: `--script FILE [-- ARG...]` or `-- CMD [ARG...]`. The words
 * after `--` are joined with spaces as ssh joins them, or with `--argv`
 * quoted one by one; a script's arguments always arrive as given.
 */
export async function commandFromArgs(
  script: string | undefined,
  rest: readonly string[],
  options: { argv: boolean },
): Promise<CommandSpec> {
  if (script !== undefined) {
    const content = await readFile(script, 'utf8').catch((error: unknown) => {
      throw new FileReadError('the script', script, error, { hint: 'give the path of a local script file' });
    });
    return { kind: 'script', name: script, content, args: [...rest] };
  }
  if (rest.length === 0 || rest.every((word) => word.trim() === '')) {
    throw new UsageError('the command is empty', { hint: "give a command after '--' (fleet start -- uptime) or --script FILE" });
  }
  return { kind: 'shell', line: options.argv ? commandLineFromArgv(rest) : commandLineFromWords(rest) };
}

/** Hosts from `-f FILE` (`-` reads standard input) and `-c a,b,c`, in that order. */
export async function hostsFromArgs(file: string | undefined, names: readonly string[] | undefined): Promise<HostEntry[]> {
  const hosts: HostEntry[] = [];
  if (file !== undefined) {
    const text =
      file === '-'
        ? await readStdin()
        : await readFile(file, 'utf8').catch((error: unknown) => {
            throw new FileReadError('the hosts file', file, error, { hint: 'one host a line, [user@]host[:port]' });
          });
    hosts.push(...parseHostList(text, file === '-' ? '<stdin>' : file));
  }
  for (const list of names ?? []) hosts.push(...parseComputerNames(list));
  if (hosts.length === 0) {
    throw new UsageError('no hosts given', { hint: 'name hosts with -f FILE (one a line) or -c host1,host2' });
  }
  return hosts;
}

/** Parses `JOB` arguments (ids or names). */
export function selectorsFromArgs(jobs: readonly (string | number)[] | undefined): JobSelector[] {
  return (jobs ?? []).map((job) => parseJobSelector(String(job)));
}

/** `--state STATE` as a job state, in any letter case; anything else is refused. */
export function checkState(text: string): JobState {
  const state = parseJobState(text);
  if (state === undefined) throw new UsageError(`unknown state ${JSON.stringify(text)}`, { hint: `one of ${JOB_STATES.join(', ')}` });
  return state;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
