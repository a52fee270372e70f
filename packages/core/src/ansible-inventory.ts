import { GroupsFileError, type GroupOrigin } from './group-errors.js';

/** A variable's value as the inventory wrote it, and where. */
export interface InventoryValue {
  value: unknown;
  origin: GroupOrigin;
}

interface InventoryGroup {
  name: string;
  /** Hosts listed in the group itself, in the order written. */
  hosts: Set<string>;
  children: string[];
  parents: Set<string>;
  vars: Map<string, InventoryValue>;
}

interface InventoryHost {
  name: string;
  vars: Map<string, InventoryValue>;
  /** Where the host was first written. */
  origin: GroupOrigin;
}

/**
 * Ansible's inventory as its InventoryData holds it: groups with their hosts,
 * children and variables, hosts with theirs. Several `-i` files add to one
 * inventory, as `ansible -i a -i b` merges them. The parsers fill it; call
 * {@link AnsibleInventory.reconcile} once they are done.
 */
export class AnsibleInventory {
  private readonly groups = new Map<string, InventoryGroup>();
  private readonly hosts = new Map<string, InventoryHost>();
  /** Host → the groups that list it themselves: the index that keeps variables cheap at thousands of hosts. */
  private readonly hostGroups = new Map<string, Set<string>>();

  constructor() {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.addChild('all', 'ungrouped');
  }

  hasGroup(name: string): boolean {
    return this.groups.has(name);
  }

  addGroup(name: string): void {
    if (!this.groups.has(name)) this.groups.set(name, { name, hosts: new Set(), children: [], parents: new Set(), vars: new Map() });
  }

  addHost(name: string, group: string, origin: GroupOrigin): void {
    this.addGroup(group);
    if (!this.hosts.has(name)) this.hosts.set(name, { name, vars: new Map(), origin });
    this.groupOf(group).hosts.add(name);
    let groups = this.hostGroups.get(name);
    if (groups === undefined) this.hostGroups.set(name, (groups = new Set()));
    groups.add(group);
  }

  addChild(parent: string, child: string): void {
    this.addGroup(parent);
    this.addGroup(child);
    const parentGroup = this.groupOf(parent);
    if (!parentGroup.children.includes(child)) parentGroup.children.push(child);
    this.groupOf(child).parents.add(parent);
  }

  setGroupVariable(group: string, key: string, value: InventoryValue): void {
    this.addGroup(group);
    this.groupOf(group).vars.set(key, value);
  }

  setHostVariable(host: string, key: string, value: InventoryValue): void {
    this.hosts.get(host)?.vars.set(key, value);
  }

  /**
   * Ansible's reconcile_inventory: a group with no parent is a child of
   * `all`; a host in no group but `all` is in `ungrouped`, and one in another
   * group leaves `ungrouped`.
   */
  reconcile(): void {
    for (const group of this.groups.values()) if (group.name !== 'all' && group.parents.size === 0) this.addChild('all', group.name);
    for (const host of this.hosts.keys()) {
      const groups = [...this.directGroupsOf(host)].filter((name) => name !== 'all' && name !== 'ungrouped');
      if (groups.length > 0) this.removeFromGroup(host, 'ungrouped');
      else this.addHost(host, 'ungrouped', this.hosts.get(host)?.origin ?? { file: 'the inventory', line: 1 });
      this.removeFromGroup(host, 'all');
    }
  }

  /**
   * The hosts of group `name`: for `all` every host in the order written,
   * otherwise the group's own hosts and then its children's, depth first,
   * each once (Ansible's `Group.get_hosts`).
   */
  groupHosts(name: string): string[] {
    if (name === 'all') return [...this.hosts.keys()];
    const hosts = new Set<string>();
    const seen = new Set<string>();
    const visit = (groupName: string) => {
      if (seen.has(groupName)) return;
      seen.add(groupName);
      const group = this.groups.get(groupName);
      if (!group) return;
      for (const host of group.hosts) hosts.add(host);
      for (const child of group.children) visit(child);
    };
    visit(name);
    return [...hosts];
  }

  /** Where host `name` was first written. */
  hostOrigin(name: string): GroupOrigin | undefined {
    return this.hosts.get(name)?.origin;
  }

  /**
   * The variables Ansible gives host `name`: the variables of each of its
   * groups and their ancestors, from the shallowest to the deepest (then by
   * `ansible_group_priority`, then by name), later ones winning, and the
   * host's own last (Ansible's `get_group_vars` and `combine_vars`).
   */
  hostVariables(name: string): Map<string, InventoryValue> {
    const groups = new Set<string>(['all']);
    const add = (groupName: string) => {
      if (groups.has(groupName) && groupName !== 'all') return;
      groups.add(groupName);
      for (const parent of this.groups.get(groupName)?.parents ?? []) add(parent);
    };
    for (const groupName of this.directGroupsOf(name)) add(groupName);
    const depths = new Map<string, number>();
    const sorted = [...groups]
      .map((groupName) => ({ name: groupName, depth: this.depthOf(groupName, depths, new Set()), priority: this.priorityOf(groupName) }))
      .sort((a, b) => a.depth - b.depth || a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const vars = new Map<string, InventoryValue>();
    for (const group of sorted) for (const [key, value] of this.groupOf(group.name).vars) vars.set(key, value);
    for (const [key, value] of this.hosts.get(name)?.vars ?? []) vars.set(key, value);
    return vars;
  }

  private directGroupsOf(host: string): ReadonlySet<string> {
    return this.hostGroups.get(host) ?? new Set();
  }

  private removeFromGroup(host: string, group: string): void {
    this.groupOf(group).hosts.delete(host);
    this.hostGroups.get(host)?.delete(group);
  }

  /** The longest path from `all`, as Ansible's Group.depth grows with each add_child. */
  private depthOf(name: string, depths: Map<string, number>, visiting: Set<string>): number {
    const known = depths.get(name);
    if (known !== undefined) return known;
    if (name === 'all' || visiting.has(name)) return 0;
    visiting.add(name);
    let depth = 0;
    for (const parent of this.groups.get(name)?.parents ?? []) depth = Math.max(depth, this.depthOf(parent, depths, visiting) + 1);
    visiting.delete(name);
    depths.set(name, depth);
    return depth;
  }

  private priorityOf(name: string): number {
    const priority = this.groups.get(name)?.vars.get('ansible_group_priority');
    const value = Number(priority?.value ?? 1);
    return Number.isFinite(value) ? value : 1;
  }

  private groupOf(name: string): InventoryGroup {
    const group = this.groups.get(name);
    if (!group) throw new Error(`no inventory group ${name}`);
    return group;
  }
}

// Later names win, as in the `vars:` lists of Ansible's ssh connection plugin.
const ADDRESS_VARIABLES = ['ansible_host', 'ansible_ssh_host'];
const USER_VARIABLES = ['ansible_user', 'ansible_ssh_user'];
const PORT_VARIABLES = ['ansible_port', 'ansible_ssh_port'];
const SSH_CONNECTIONS = new Set(['ssh', 'smart', 'paramiko', 'paramiko_ssh', 'ansible.builtin.ssh', 'ansible.builtin.paramiko_ssh']);

/**
 * Host `name` as a fleet host entry, `[user@]address[:port]`: its address is
 * `ansible_host` (else the inventory name), its user `ansible_user`, its port
 * `ansible_port` (or their `ansible_ssh_*` forms), after Ansible's variable
 * precedence. The entry is what fleet shows for the host.
 * `ansible_connection=local` is the entry `localhost`, which runs without SSH
 * as Ansible runs it on the control machine.
 *
 * @throws GroupsFileError for a value fleet cannot use as Ansible would (a Jinja template, a port that is not a number), naming its line.
 */
export function inventoryHostEntry(inventory: AnsibleInventory, name: string): { text: string; origin: GroupOrigin } {
  const vars = inventory.hostVariables(name);
  const pick = (keys: readonly string[]) => {
    let chosen: { key: string; value: InventoryValue } | undefined;
    for (const key of keys) {
      const value = vars.get(key);
      if (value !== undefined) chosen = { key, value };
    }
    if (chosen === undefined) return undefined;
    const text = String(chosen.value.value);
    if (/\{\{|\{%/.test(text)) {
      const { file, line } = chosen.value.origin;
      throw new GroupsFileError(
        file,
        line,
        `${chosen.key} of ${name} is a Jinja template (${text}), which fleet does not evaluate`,
        'give the value itself',
      );
    }
    return { key: chosen.key, text, origin: chosen.value.origin };
  };
  const connection = pick(['ansible_connection']);
  if (connection?.text === 'local') return { text: 'localhost', origin: inventory.hostOrigin(name) ?? { file: 'the inventory', line: 1 } };
  if (connection !== undefined && !SSH_CONNECTIONS.has(connection.text)) {
    const { file, line } = connection.origin;
    throw new GroupsFileError(
      file,
      line,
      `${name} has ansible_connection=${connection.text}; fleet reaches hosts over SSH only`,
      'leave the host out with -x, or reach it over ssh',
    );
  }
  const address = pick(ADDRESS_VARIABLES)?.text ?? name;
  const user = pick(USER_VARIABLES);
  const port = pick(PORT_VARIABLES);
  if (port !== undefined && !/^\d{1,5}$/.test(port.text)) {
    throw new GroupsFileError(
      port.origin.file,
      port.origin.line,
      `${port.key} of ${name} is ${JSON.stringify(port.text)}, not a port number`,
    );
  }
  const host = address.includes(':') && port !== undefined ? `[${address}]` : address;
  const text = `${user === undefined ? '' : `${user.text}@`}${host}${port === undefined ? '' : `:${port.text}`}`;
  return { text, origin: inventory.hostOrigin(name) ?? { file: 'the inventory', line: 1 } };
}
