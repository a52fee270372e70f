import { HostEntryError, MalformedHostRange } from './errors.js';
import { EmptyGroupError } from './group-errors.js';
import { globRegExp } from './glob.js';
import type { HostEntry } from './host-entry.js';
import type { GroupExpander } from './host-groups.js';
import { expandHostPattern, splitHostList } from './host-pattern.js';

/** What `--exclude` left, and which of its patterns matched no host (worth a warning). */
export interface Exclusion {
  kept: HostEntry[];
  /** Patterns, as written, that removed nothing. */
  unmatched: string[];
}

/**
 * Removes from `hosts` what `-x`/`--exclude` lists name: comma-separated (at
 * top-level commas) hosts, ranges (`web[1-3]`) and globs (`web*`, `db?`),
 * matched against the entry as written or against its host name, as clush's
 * `-x` and fnmatch do. A range in a pattern expands first, so the globs are
 * `*` and `?` only. `@group` (through `groups`) removes each host of the
 * group; an empty group matches nothing. Every entry a pattern matches goes,
 * duplicates too.
 *
 * @throws HostEntryError for a malformed range (source `--exclude`), HostRangeTooLarge as {@link expandHostPattern}.
 */
export function excludeHosts(hosts: readonly HostEntry[], lists: readonly string[], groups?: GroupExpander): Exclusion {
  const patterns = lists.flatMap(splitHostList);
  const matchers = patterns.map((pattern, index) => ({
    pattern,
    matches: nameMatcher(expandExclusion(pattern, index, groups)),
    hits: 0,
  }));
  const kept = hosts.filter((entry) => {
    let excluded = false;
    for (const matcher of matchers) {
      if (matcher.matches(entry.raw) || matcher.matches(entry.host)) {
        matcher.hits++;
        excluded = true;
      }
    }
    return !excluded;
  });
  return { kept, unmatched: matchers.filter((matcher) => matcher.hits === 0).map((matcher) => matcher.pattern) };
}

function expandExclusion(pattern: string, index: number, groups: GroupExpander | undefined): string[] {
  if (pattern.startsWith('@') && groups) {
    try {
      // A group's hosts are names, never globs.
      return groups(pattern).map((member) => member.text.replace(/[*?]/g, ''));
    } catch (error) {
      if (error instanceof EmptyGroupError) return [];
      throw error;
    }
  }
  // As in a host list: a group would otherwise read as a name that matches nothing, and only warn.
  if (pattern.startsWith('@')) {
    throw new HostEntryError([
      {
        source: '--exclude',
        line: index + 1,
        entry: pattern,
        problem: 'groups (@name) cannot be looked up here; name the hosts, ranges or globs',
      },
    ]);
  }
  try {
    return expandHostPattern(pattern);
  } catch (error) {
    if (!(error instanceof MalformedHostRange)) throw error;
    throw new HostEntryError([
      { source: '--exclude', line: index + 1, entry: pattern, problem: `malformed range: ${error.problem}`, offset: error.offset },
    ]);
  }
}

/**
 * One test for the names a pattern expanded to: names without `*` or `?` are
 * looked up in a set (a group can name thousands), globs become whole-name
 * regular expressions (see {@link globRegExp}).
 */
function nameMatcher(names: readonly string[]): (name: string) => boolean {
  const exact = new Set(names.filter((name) => !/[*?]/.test(name)));
  const globs = names.filter((name) => /[*?]/.test(name)).map((glob) => globRegExp(glob));
  return (name) => exact.has(name) || globs.some((regex) => regex.test(name));
}
