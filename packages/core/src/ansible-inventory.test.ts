import { describe, expect, it } from 'vitest';
import { expandAnsibleHostPattern } from './ansible-host-pattern.js';
import { parseAnsibleInventory } from './ansible-inventory-file.js';
import { AnsibleInventory, inventoryHostEntry } from './ansible-inventory.js';
import { GroupsFileError } from './group-errors.js';

function inventoryOf(text: string, file = 'hosts.ini'): AnsibleInventory {
  const inventory = new AnsibleInventory();
  parseAnsibleInventory(text, file, inventory);
  inventory.reconcile();
  return inventory;
}

const INI = `solo ansible_host=10.0.0.9

[web]
web[01:03] ansible_port=2222
[db]
db1:2201 ansible_host=127.0.1.5 ansible_user="bob"

[app:children]
web
db

[app:vars]
ansible_user = 'alice'
ansible_port=2200

[all:vars]
ansible_user=root
`;

const YAML = `all:
  vars:
    ansible_user: root
  hosts:
    solo:
      ansible_host: 10.0.0.9
  children:
    app:
      vars:
        ansible_user: alice
        ansible_port: 2200
      children:
        web:
          hosts:
            web[01:03]:
              ansible_port: 2222
        db:
          hosts:
            db1:2201:
              ansible_host: 127.0.1.5
              ansible_user: bob
`;

describe('Ansible inventories', () => {
  it.each([
    ['INI', INI, 'hosts.ini'],
    ['YAML', YAML, 'hosts.yml'],
  ])('reads groups, children, all and ungrouped from %s, with the variables Ansible applies', (_kind, text, file) => {
    const inventory = inventoryOf(text, file);
    expect(inventory.groupHosts('app')).toEqual(['web01', 'web02', 'web03', 'db1']);
    expect(inventory.groupHosts('ungrouped')).toEqual(['solo']);
    expect(new Set(inventory.groupHosts('all'))).toEqual(new Set(['solo', 'web01', 'web02', 'web03', 'db1']));
    const entry = (host: string) => inventoryHostEntry(inventory, host).text;
    // Host vars beat child group vars, which beat parent group vars, which beat all's.
    expect(entry('web02')).toBe('alice@web02:2222');
    expect(entry('db1')).toBe('bob@127.0.1.5:2201');
    expect(entry('solo')).toBe('root@10.0.0.9');
  });

  it('orders groups of one depth by ansible_group_priority, then by name', () => {
    const inventory = inventoryOf('[b]\nh\n[a]\nh\n[a:vars]\nansible_user=a\n[b:vars]\nansible_user=b\n');
    expect(inventoryHostEntry(inventory, 'h').text).toBe('b@h');
    const prioritised = inventoryOf('[b]\nh\n[a]\nh\n[a:vars]\nansible_user=a\nansible_group_priority=5\n[b:vars]\nansible_user=b\n');
    expect(inventoryHostEntry(prioritised, 'h').text).toBe('a@h');
  });

  it('runs ansible_connection=local hosts locally, and refuses connections other than ssh with the line', () => {
    const inventory = inventoryOf(
      '[ctl]\nlocalhost ansible_connection=local\nbox ansible_connection=local ansible_host=10.0.0.1\n[win]\nw1 ansible_connection=winrm\n',
    );
    expect(inventoryHostEntry(inventory, 'box').text).toBe('localhost');
    expect(() => inventoryHostEntry(inventory, 'w1')).toThrow(
      /hosts\.ini:5: w1 has ansible_connection=winrm; fleet reaches hosts over SSH only/,
    );
  });

  it('expands host ranges as Ansible does', () => {
    expect(expandAnsibleHostPattern('web[01:03]').hosts).toEqual(['web01', 'web02', 'web03']);
    expect(expandAnsibleHostPattern('n[1:7:3]-[a:b]:2222')).toEqual({
      hosts: ['n1-a', 'n1-b', 'n4-a', 'n4-b', 'n7-a', 'n7-b'],
      port: 2222,
    });
    expect(expandAnsibleHostPattern('[::1]:2200')).toEqual({ hosts: ['::1'], port: 2200 });
    expect(() => expandAnsibleHostPattern('web[01:3]')).toThrow(/equal-length/);
  });

  it('refuses what Ansible refuses, and what fleet cannot evaluate, with the line', () => {
    expect(() => inventoryOf('[web]\nh1\n[web:children]\nnope\n')).toThrow(
      new GroupsFileError('hosts.ini', 4, 'Section [web:children] includes undefined group: nope'),
    );
    expect(() => inventoryOf('[web:vars]\nx=1\n')).toThrow(/hosts\.ini:1: Section \[web:vars\] not valid for undefined group/);
    expect(() => inventoryOf('[web]\nh1 user\n')).toThrow(/hosts\.ini:2: Expected key=value/);
    expect(() => inventoryOf('[web:hostz]\n')).toThrow(/unknown type/);
    const templated = inventoryOf("[web]\nh1\n[web:vars]\nansible_host=\"{{ lookup('env', 'X') }}\"\n");
    expect(() => inventoryHostEntry(templated, 'h1')).toThrow(/hosts\.ini:4: ansible_host of h1 is a Jinja template/);
    expect(() => inventoryOf('all:\n  hosts: [a, b]\n', 'inv.yaml')).toThrow(/inv\.yaml:2: Invalid "hosts" entry/);
    expect(() => inventoryOf('all:\n  hosts:\n  a: [\n', 'inv.yaml')).toThrow(/inv\.yaml:\d+: not YAML/);
  });

  it('takes a file without an extension as YAML when it is a mapping, else as INI', () => {
    expect(inventoryOf('all:\n  hosts:\n    a:\n', 'hosts').groupHosts('all')).toEqual(['a']);
    expect(inventoryOf('a\nb\n', 'hosts').groupHosts('all')).toEqual(['a', 'b']);
  });
});
