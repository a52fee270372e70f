import { foldHosts, foldHostsByReason, type ReasonGroup } from './host-ranges.js';

/** Everything one host entry wrote on stdout, one line after another, and the code it exited with. */
export interface HostOutput {
  host: string;
  text: string;
  /** null while it runs, or when it ended without one (cannot connect, timed out, stopped). */
  exitCode: number | null;
}

/**
 * Host entries whose output was the same, byte for byte, each line ending in
 * a newline, and that exited with the same code. An entry given twice is in
 * `hosts` twice: each ran.
 */
export interface OutputGroup {
  hosts: string[];
  text: string;
  exitCode: number | null;
}

/** A host that did not complete, and why. */
export interface HostFailure {
  host: string;
  /** `Failed` or `Stopped`. */
  state: string;
  reason: string;
}

const RULE = '-'.repeat(15);

/**
 * Groups hosts by identical output and exit code, as `clush -b` does (a host
 * that failed is not grouped with one that did not, though they wrote the
 * same): the groups by exit code, lowest first (none last), then the most
 * common output first, then in the order their first host appears. A last
 * line without a newline reads as a line, as clush reads it.
 */
export function groupByOutput(outputs: readonly HostOutput[]): OutputGroup[] {
  const groups = new Map<string, OutputGroup>();
  for (const output of outputs) {
    const text = output.text === '' || output.text.endsWith('\n') ? output.text : `${output.text}\n`;
    const key = `${output.exitCode ?? ''}\n${text}`;
    const group = groups.get(key) ?? { hosts: [], text, exitCode: output.exitCode };
    group.hosts.push(output.host);
    groups.set(key, group);
  }
  const codeOrder = (code: number | null) => code ?? Number.POSITIVE_INFINITY;
  return [...groups.values()].sort((a, b) => codeOrder(a.exitCode) - codeOrder(b.exitCode) || b.hosts.length - a.hosts.length);
}

/** A group as the report shows it: its hosts folded (`web[1-3,7]`), how many entries ran, their output and exit code. */
export interface FoldedOutputGroup {
  hosts: string;
  count: number;
  text: string;
  exitCode: number | null;
}

/** The groups that have a block in the report (hosts that wrote nothing have none), their hosts folded. */
export function foldOutputGroups(groups: readonly OutputGroup[]): FoldedOutputGroup[] {
  return groups
    .filter((group) => group.text !== '')
    .map((group) => ({ hosts: foldHosts(group.hosts), count: group.hosts.length, text: group.text, exitCode: group.exitCode }));
}

/**
 * The grouped report: each distinct output once, under its header. Hosts
 * that wrote nothing have no block. A host's line that would read as one of
 * fleet's rules is shown behind a backslash ({@link escapeRuleLines}), so
 * no host can print a block of its own with another host set in its header.
 */
export function formatOutputGroups(groups: readonly OutputGroup[]): string {
  return foldOutputGroups(groups)
    .map((group) => `${formatGroupHeader(group)}${escapeRuleLines(group.text)}`)
    .join('');
}

/**
 * A line that starts with 15 dashes, after any blanks, control characters,
 * bytes that are not ASCII (invisible ones such as a no-break or zero-width
 * space) or backslashes. Text is bytes held as Latin-1. `^` also matches
 * after a `\r`, which a terminal or a trimming parser skips; `\n` and `\r`
 * are left out of the class so that a match never spans lines. Fleet's own
 * rules are exactly the 15 dashes.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const RULE_LIKE = /^[\\\x00-\x09\x0b\x0c\x0e-\x20\x7f-\xff]*-{15}/gm;

/**
 * Host text with a `\` before each line that reads as a rule line (after
 * a `\r` that starts a line's part). Since an escaped line still matches,
 * no host line is ever fleet's bare rule, and the escape can be undone by
 * dropping that one `\`: the mboxrd way of quoting `From ` lines.
 */
export function escapeRuleLines(text: string): string {
  return text.replace(RULE_LIKE, (line) => `\\${line}`);
}

/** A group's header: the folded set of its hosts and how many entries ran, between rules. */
function formatGroupHeader(group: Pick<FoldedOutputGroup, 'hosts' | 'count'>): string {
  return `${RULE}\n${group.hosts} (${group.count})\n${RULE}\n`;
}

/** Each distinct `State: reason` of the hosts that failed or were stopped, with those hosts folded; the commonest first. */
export function foldFailures(failures: readonly HostFailure[]): ReasonGroup[] {
  return foldHostsByReason(failures.map(({ host, state, reason }) => ({ host, reason: `${state}: ${reason}` })));
}

/** One line per distinct reason a host failed or was stopped: `web[4-5] (2) Failed: exit code 1`. */
export function formatFailureGroups(failures: readonly HostFailure[]): string {
  return foldFailures(failures)
    .map(({ hosts, count, reason }) => `${hosts} (${count}) ${reason}\n`)
    .join('');
}
