import { foldHosts } from './host-ranges.js';

/** Everything one host wrote, one line after another, each ending in a newline. */
export interface HostOutput {
  host: string;
  text: string;
}

/** Hosts whose output was the same, byte for byte. */
export interface OutputGroup {
  hosts: string[];
  text: string;
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
 * Groups hosts by identical output, as `clush -b` does: the groups in the
 * order their first host appears, the most common output first.
 */
export function groupByOutput(outputs: readonly HostOutput[]): OutputGroup[] {
  const groups = new Map<string, OutputGroup>();
  for (const { host, text } of outputs) {
    const group = groups.get(text) ?? { hosts: [], text };
    if (!group.hosts.includes(host)) group.hosts.push(host);
    groups.set(text, group);
  }
  return [...groups.values()].sort((a, b) => b.hosts.length - a.hosts.length);
}

/**
 * The grouped report: each distinct output once, under the folded set of
 * hosts that wrote it and their count. Hosts that wrote nothing have no block.
 */
export function formatOutputGroups(groups: readonly OutputGroup[]): string {
  return groups
    .filter((group) => group.text !== '')
    .map((group) => `${RULE}\n${foldHosts(group.hosts)} (${group.hosts.length})\n${RULE}\n${group.text}`)
    .join('');
}

/** One line per distinct reason a host failed or was stopped: `web[4-5] (2) Failed: exit code 1`. */
export function formatFailureGroups(failures: readonly HostFailure[]): string {
  const byReason = new Map<string, string[]>();
  for (const { host, state, reason } of failures) {
    const key = `${state}: ${reason}`;
    byReason.set(key, [...(byReason.get(key) ?? []), host]);
  }
  return [...byReason]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([why, hosts]) => `${foldHosts(hosts)} (${hosts.length}) ${why}\n`)
    .join('');
}
