import { readFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import {
  FileReadError,
  JOB_STATES,
  commandLineFromArgv,
  commandLineFromWords,
  combineHostLists,
  excludeHosts,
  expandGroupReference,
  type GroupExpander,
  parseComputerNames,
  parseHostList,
  parseJobSelector,
  parseJobState,
  UsageError,
  type CommandSpec,
  type HostEntry,
  type JobSelector,
  type JobState,
  withLoginUser,
} from '@fleet/core';
import { loadHostGroups } from './host-groups-files.js';

/**
 * What to run: `--script FILE [-- ARG...]` or `-- CMD [ARG...]`. The words
 * after `--` are joined with spaces as ssh joins them, or with `--argv`
 * quoted one by one; a script's arguments always arrive as given. `example`
 * shows the command's own form in the hint for an empty command.
 */
export async function commandFromArgs(
  script: string | undefined,
  rest: readonly string[],
  options: { argv: boolean; example?: string },
): Promise<CommandSpec> {
  if (script !== undefined) {
    const content = await readFile(script, 'utf8').catch((error: unknown) => {
      throw new FileReadError('the script', script, error, { hint: 'give the path of a local script file' });
    });
    return { kind: 'script', name: script, content, args: [...rest] };
  }
  if (rest.length === 0 || rest.every((word) => word.trim() === '')) {
    throw new UsageError('the command is empty', {
      hint: `put it after --, as in: ${options.example ?? 'fleet start -- uptime'}; or give --script FILE`,
    });
  }
  return { kind: 'shell', line: options.argv ? commandLineFromArgv(rest) : commandLineFromWords(rest) };
}

/** JavaScript for a thread job: `--eval` code, or a module file read here and sent to the agent. */
export async function threadCommand(
  code: string | undefined,
  module: string | undefined,
  args: string[],
  /** How the command starts, for the hint: `fleet start --thread` or `fleet invoke -c HOSTS --thread`. */
  usage: string,
): Promise<CommandSpec> {
  if ((code === undefined) === (module === undefined)) {
    throw new UsageError('a thread job needs --eval JS or --script MODULE.mjs, one of them', {
      hint: `${usage} --eval 'return 1 + 1'`,
    });
  }
  if (code !== undefined) return { kind: 'thread', source: 'eval', name: '', code, args };
  const path = module as string;
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw new FileReadError('the module', path, error);
  });
  return { kind: 'thread', source: 'module', name: path, code: text, args };
}

/** The flags that name hosts, as `invoke`, `deploy` and `undeploy` take them; read by {@link hostsFromArgs}. */
export function hostFlags<T>(yargs: Argv<T>) {
  return (
    yargs
      .option('hosts-file', { alias: 'f', type: 'string', describe: 'Hosts, one a line ([user@]host[:port]); - reads standard input' })
      // One value each (repeat the flag for more): `-c web1 uptime` must not take uptime for a host.
      .option('computer-name', {
        alias: ['c', 'w'],
        type: 'string',
        array: true,
        nargs: 1,
        describe: 'Hosts separated by commas, with ranges as in web[01-40] and @groups (-w: clush)',
      })
      .option('exclude', {
        alias: 'x',
        type: 'string',
        array: true,
        nargs: 1,
        describe: 'Leave out these hosts, ranges, globs (web*) or @groups, separated by commas (clush -x)',
      })
      .option('inventory', {
        alias: 'i',
        type: 'string',
        array: true,
        nargs: 1,
        describe: 'Read @groups from this Ansible inventory, INI or YAML (repeatable, as ansible -i)',
      })
      .option('user', { alias: 'l', type: 'string', describe: 'Log in as USER where an entry names no user (pssh, clush -l)' })
  );
}

/**
 * Hosts from `-f FILE` (`-` reads standard input) and `-c a,b,c`, in that
 * order, less those `-x` names (a pattern that matches nothing is warned of
 * on stderr); every bad entry of both is reported at once. `@group` is looked
 * up in the `--inventory` files and ClusterShell's groups files (read only
 * when a group is named or an inventory given). `loginUser` (`-l`) goes to
 * the entries that name no user.
 */
export async function hostsFromArgs(
  file: string | undefined,
  names: readonly string[] | undefined,
  loginUser?: string,
  exclude: readonly string[] = [],
  inventories: readonly string[] = [],
): Promise<HostEntry[]> {
  const source = file === '-' ? 'standard input' : `the hosts file ${file}`;
  const text =
    file === undefined
      ? ''
      : file === '-'
        ? await readStdin()
        : await readFile(file, 'utf8').catch((error: unknown) => {
            // clush's -f is its fan-out: `-f 32` meant --throttle 32.
            const hint = /^\d+$/.test(file)
              ? "-f names a hosts file; clush's -f N is --throttle N (or -p N) here"
              : 'one host a line, [user@]host[:port]';
            throw new FileReadError('the hosts file', file, error, { hint });
          });
  const groups = await groupExpander(inventories, [text, ...(names ?? []), ...exclude]);
  let hosts = combineHostLists([
    () => (file === undefined ? [] : parseHostList(text, file === '-' ? '<stdin>' : file, groups)),
    ...(names ?? []).map((list) => () => parseComputerNames(list, '--computer-name', groups)),
  ]);
  if (hosts.length === 0 && file !== undefined && (names ?? []).every((list) => list.trim() === '')) {
    throw new UsageError(`${source} lists no hosts`, {
      hint: 'one host a line, [user@]host[:port]; blank lines and # comments are skipped',
    });
  }
  if (hosts.length === 0) {
    throw new UsageError('no hosts given', { hint: 'name hosts with -f FILE (one a line) or -c host1,host2' });
  }
  if (exclude.length > 0) {
    const { kept, unmatched } = excludeHosts(hosts, exclude, groups);
    for (const pattern of unmatched) process.stderr.write(`fleet: warning: --exclude ${pattern} matches no host\n`);
    if (kept.length === 0) {
      throw new UsageError(`--exclude leaves no hosts: all ${hosts.length} were excluded`, {
        hint: 'exclude fewer hosts, or name others with -c or -f',
      });
    }
    hosts = kept;
  }
  if (loginUser !== undefined) hosts = withLoginUser(hosts, loginUser);
  return hosts;
}

/**
 * What `@group` expands through, once the groups files are read; they are read
 * only when an inventory is given or some host text names a group, so that a
 * broken groups file never stands in the way of plain host names.
 */
async function groupExpander(inventories: readonly string[], texts: readonly string[]): Promise<GroupExpander> {
  for (const inventory of inventories) {
    if (inventory.trim() === '' || inventory.startsWith('-')) {
      throw new UsageError('--inventory (-i) needs a file', {
        hint: "-i FILE names an Ansible inventory, as ansible -i does; fleet prints HOST: line, as pssh -i does, so pssh's -i is left out",
      });
    }
  }
  if (inventories.length === 0 && !texts.some((text) => /(^|[\s,])@/.test(text))) {
    return () => {
      throw new UsageError('groups are looked up only when named');
    };
  }
  const { groups, warnings } = await loadHostGroups(inventories);
  for (const warning of warnings) process.stderr.write(`fleet: warning: ${warning}\n`);
  return (reference) => expandGroupReference(reference, groups);
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
