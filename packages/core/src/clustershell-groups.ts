import { GroupsFileError, type GroupOrigin } from './group-errors.js';

/** One group as a file defines it: its node set text, unexpanded, and where it was written. */
export interface StaticGroup {
  nodes: string;
  origin: GroupOrigin;
}

/**
 * One ClusterShell group source (a `groups.conf` section, a top-level key of a
 * `groups.d/*.yaml`). `groups` holds what fleet could read without running
 * anything; a source whose upcalls are programs has none, and `upcall` says
 * which line fleet would have had to run.
 */
export type ClusterShellSource =
  { name: string; groups: Map<string, StaticGroup> } | { name: string; groups: null; upcall: { command: string; origin: GroupOrigin } };

/** ClusterShell's group sources as its GroupResolverConfig builds them, and which one `@name` uses. */
export interface ClusterShellGroups {
  sources: Map<string, ClusterShellSource>;
  /** `[Main] default`, else the first source; null when there is none. */
  defaultSource: string | null;
  /** Where `[Main] default` was written, for the error when it names no source. */
  defaultOrigin?: GroupOrigin;
}

/**
 * A source by name (`@source:group`), or the default one for null; undefined
 * when there is no such source.
 *
 * @throws GroupsFileError when `[Main] default` names a source that does not exist, as ClusterShell refuses it.
 */
export function clusterShellSource(groups: ClusterShellGroups, namespace: string | null): ClusterShellSource | undefined {
  const name = namespace ?? groups.defaultSource;
  if (name === null) return undefined;
  const source = groups.sources.get(name);
  if (source === undefined && namespace === null && groups.defaultOrigin) {
    const { file, line } = groups.defaultOrigin;
    throw new GroupsFileError(
      file,
      line,
      `default group source not found: "${name}"`,
      'name a [section] of groups.conf or a source of groups.d/*.yaml',
    );
  }
  return source;
}

/**
 * The groups of `source`, or an error naming the upcall fleet would have had
 * to run: fleet never runs a group source's programs, and never guesses what
 * they would print.
 */
export function staticGroupsOf(source: ClusterShellSource): Map<string, StaticGroup> {
  if (source.groups !== null) return source.groups;
  const { command, origin } = source.upcall;
  throw new GroupsFileError(
    origin.file,
    origin.line,
    `group source "${source.name}" gets its groups by running ${JSON.stringify(command)}, which fleet does not run`,
    'list the groups in a YAML file of groups.d (source: {group: nodes}), or use an Ansible inventory with --inventory FILE',
  );
}

/**
 * ClusterShell's "all nodes" of a source (`@*`, `clush -a`): its `all` group
 * when it has one, else every group's nodes together, as its ParsingEngine
 * falls back to `list` + `map`.
 */
export function allNodesOf(source: ClusterShellSource): StaticGroup {
  const groups = staticGroupsOf(source);
  const all = groups.get('all');
  if (all !== undefined) return all;
  const first = groups.values().next().value;
  // In the order of ClusterShell's grouplist, a node set of the names: it matters, since `!`, `&`
  // and `^` in one group apply to everything joined before it.
  const names = [...groups.keys()].sort(compareAsNodeSet);
  return {
    nodes: names.map((name) => groups.get(name)?.nodes ?? '').join(','),
    origin: first?.origin ?? { file: `group source ${source.name}`, line: 1 },
  };
}

/** The order a ClusterShell node set iterates names in: by pattern (`rack%s`, digits replaced), then by the numbers. */
function compareAsNodeSet(a: string, b: string): number {
  const pattern = (name: string) => name.replace(/\d+/g, '%s');
  const numbers = (name: string) => (name.match(/\d+/g) ?? []).map(Number);
  const [patternA, patternB] = [pattern(a), pattern(b)];
  if (patternA !== patternB) return patternA < patternB ? -1 : 1;
  const [numbersA, numbersB] = [numbers(a), numbers(b)];
  for (let index = 0; index < numbersA.length; index++) {
    const difference = (numbersA[index] ?? 0) - (numbersB[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
