import { AnsibleInventory, inventoryHostEntry } from './ansible-inventory.js';
import { allNodesOf, clusterShellSource, staticGroupsOf, type ClusterShellGroups, type StaticGroup } from './clustershell-groups.js';
import { EmptyGroupError, UnknownGroupError, type GroupOrigin } from './group-errors.js';
import { expandHostPattern } from './host-pattern.js';
import { evaluateNodeSet, type NodeSetLookup } from './nodeset-expression.js';

/** Everything `@name` can be looked up in: the inventories given, ClusterShell's group sources, and the files read or looked for. */
export interface HostGroups {
  /** Every `--inventory` file, merged as Ansible merges several `-i`; null without one. */
  inventory: AnsibleInventory | null;
  clustershell: ClusterShellGroups | null;
  /** Every file fleet read or looked for, in the order it looks: the unknown-group error names them. */
  searched: readonly string[];
}

/** One host a group names: its entry text (`[user@]host[:port]`) and the line that put it in the group. */
export interface GroupMember {
  text: string;
  origin: GroupOrigin;
}

/** Expands one `@group` reference into host entry texts; what host lists and `--exclude` are given. */
export type GroupExpander = (reference: string) => GroupMember[];

/**
 * Expands `@name` (`@web`, `@rack[1-2]`, `@source:name`, `@all`):
 * - a group of the inventories, when there are some and it is there (`@all`
 *   is every host of the inventories), each host as
 *   {@link inventoryHostEntry} writes it;
 * - else a group of ClusterShell's default source (`@source:name`: of that
 *   source), as {@link evaluateNodeSet} expands it; `@all` there is its `all`
 *   group, or else every node of its groups (ClusterShell's `@*`).
 *
 * @throws UnknownGroupError naming every file searched; EmptyGroupError for a group with no host; GroupsFileError for what a file gets wrong.
 */
export function expandGroupReference(reference: string, groups: HostGroups): GroupMember[] {
  const members: GroupMember[] = [];
  const seen = new Set<string>();
  for (const name of expandHostPattern(reference.slice(1))) {
    const found = name === '' ? undefined : (fromInventory(name, groups) ?? fromClusterShell(name, groups));
    if (found === undefined) throw new UnknownGroupError(`@${name}`, groups.searched);
    if (found.members.length === 0) throw new EmptyGroupError(`@${name}`, found.origin);
    for (const member of found.members) {
      if (seen.has(member.text)) continue;
      seen.add(member.text);
      members.push(member);
    }
  }
  return members;
}

function fromInventory(name: string, groups: HostGroups): { members: GroupMember[]; origin?: GroupOrigin } | undefined {
  const { inventory } = groups;
  if (inventory === null || name.includes(':') || !inventory.hasGroup(name)) return undefined;
  return { members: inventory.groupHosts(name).map((host) => inventoryHostEntry(inventory, host)) };
}

function fromClusterShell(reference: string, groups: HostGroups): { members: GroupMember[]; origin: GroupOrigin } | undefined {
  const clustershell = groups.clustershell;
  if (clustershell === null) return undefined;
  const colon = reference.indexOf(':');
  const namespace = colon === -1 ? null : reference.slice(0, colon);
  const name = colon === -1 ? reference : reference.slice(colon + 1);
  const source = clusterShellSource(clustershell, namespace);
  if (source === undefined) return undefined;
  const group: StaticGroup | undefined = name === 'all' || name === '*' ? allNodesOf(source) : staticGroupsOf(source).get(name);
  if (group === undefined) return undefined;
  const lookup: NodeSetLookup = {
    group: (groupName, groupNamespace) => {
      const groupSource = clusterShellSource(clustershell, groupNamespace);
      return groupSource === undefined ? undefined : staticGroupsOf(groupSource).get(groupName);
    },
    all: (allNamespace) => {
      const allSource = clusterShellSource(clustershell, allNamespace);
      if (allSource === undefined) throw new UnknownGroupError(`@${allNamespace ?? ''}:*`, groups.searched);
      return allNodesOf(allSource);
    },
  };
  const hosts = evaluateNodeSet(group.nodes, lookup, { namespace, origin: group.origin, chain: [`${namespace ?? ''}:${name}`] });
  return { members: hosts.map((text) => ({ text, origin: group.origin })), origin: group.origin };
}

/** An inventory that the parsers fill, for {@link HostGroups}. */
export function newAnsibleInventory(): AnsibleInventory {
  return new AnsibleInventory();
}
