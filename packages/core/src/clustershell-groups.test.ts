import { describe, expect, it } from 'vitest';
import { AnsibleInventory } from './ansible-inventory.js';
import { parseAnsibleIni } from './ansible-inventory-ini.js';
import { flatFilesOfUpcall, parseFlatGroups } from './clustershell-flat-groups.js';
import { parseGroupsConf } from './clustershell-groups-conf.js';
import { parseYamlGroups } from './clustershell-yaml-groups.js';
import type { ClusterShellGroups } from './clustershell-groups.js';
import { EmptyGroupError, GroupsFileError, UnknownGroupError } from './group-errors.js';
import { expandGroupReference, type HostGroups } from './host-groups.js';
import { excludeHosts } from './host-exclusion.js';
import { parseComputerNames } from './host-list.js';

const SHIPPED_MAP = String.raw`[ -f $CFGDIR/groups ] && f=$CFGDIR/groups || f=$CFGDIR/groups.d/local.cfg; sed -n 's/^$GROUP:\(.*\)/\1/p' $f`;

describe('ClusterShell groups files', () => {
  it('merges groups.conf files as ConfigParser does, a later option winning', () => {
    const conf = parseGroupsConf('[Main]\ndefault: local\n[local]\nmap: echo a\n', '/etc/g.conf');
    parseGroupsConf('# mine\n[Main]\ndefault = roles\nautodir: /a\n  /b\n', '/home/g.conf', conf);
    expect(conf.get('Main')?.get('default')).toEqual({ value: 'roles', file: '/home/g.conf', line: 3 });
    expect(conf.get('Main')?.get('autodir')?.value).toBe('/a\n/b');
    expect(conf.get('local')?.get('map')?.value).toBe('echo a');
    expect(() => parseGroupsConf('map: x\n', 'g.conf')).toThrow(
      new GroupsFileError('g.conf', 1, 'an option before any [section] (ConfigParser refuses it)'),
    );
  });

  it("reads ClusterShell's own sed upcalls as the flat file they read, and no other upcall", () => {
    expect(flatFilesOfUpcall('map', SHIPPED_MAP, '/etc/clustershell', 'local')).toEqual([
      '/etc/clustershell/groups',
      '/etc/clustershell/groups.d/local.cfg',
    ]);
    expect(flatFilesOfUpcall('map', String.raw`sed -n 's/^$GROUP:\(.*\)/\1/p' groups`, '/c', 'local')).toEqual(['/c/groups']);
    expect(flatFilesOfUpcall('map', 'echo web[01-04]', '/c', 'local')).toBeNull();
    expect(flatFilesOfUpcall('map', String.raw`sed -n 's/^$GROUP:\(.*\)/\1/p' $HOME/groups`, '/c', 'local')).toBeNull();
    const groups = parseFlatGroups('# c\nadm: example0\nio: example[4-6]\nio: example9\n', 'local.cfg');
    expect(groups.get('io')).toEqual({ nodes: 'example[4-6] example9', origin: { file: 'local.cfg', line: 3 } });
  });

  it('reads groups.d YAML, lists and empty groups included, and names the line of what it refuses', () => {
    const sources = parseYamlGroups("roles:\n  web: 'w[1-2]'\n  db:\n    - d1\n    - 'd[2-3]'\n  none:\n", 'c.yaml');
    expect(sources.get('roles')?.get('db')).toEqual({ nodes: 'd1,d[2-3]', origin: { file: 'c.yaml', line: 3 } });
    expect(sources.get('roles')?.get('none')?.nodes).toBe('');
    expect(() => parseYamlGroups('roles: [a]\n', 'c.yaml')).toThrow(/c\.yaml:1: group source 'roles' is not a mapping/);
    expect(() => parseYamlGroups('roles:\n  web: {a: 1}\n', 'c.yaml')).toThrow(/c\.yaml:2: a group is a node set/);
  });
});

describe('@group wherever hosts are written', () => {
  const clustershell: ClusterShellGroups = {
    sources: new Map([
      [
        'roles',
        {
          name: 'roles',
          groups: parseYamlGroups("roles:\n  web: 'web[1-3]'\n  db: 'db1'\n  empty: ''\n", 'c.yaml').get('roles') ?? new Map(),
        },
      ],
      ['slurm', { name: 'slurm', groups: null, upcall: { command: 'sinfo -h -o %N -p $GROUP', origin: { file: 'slurm.conf', line: 3 } } }],
    ]),
    defaultSource: 'roles',
  };
  const inventory = new AnsibleInventory();
  parseAnsibleIni('[web]\nw1 ansible_host=127.0.1.1 ansible_user=u ansible_port=2201\n', 'inv.ini', inventory);
  inventory.reconcile();
  const withInventory: HostGroups = { inventory, clustershell, searched: ['inv.ini', 'groups.conf'] };
  const without: HostGroups = { inventory: null, clustershell, searched: ['groups.conf'] };

  it('looks in the inventories first, then in the default ClusterShell source', () => {
    expect(expandGroupReference('@web', withInventory).map((member) => member.text)).toEqual(['u@127.0.1.1:2201']);
    expect(expandGroupReference('@web', without).map((member) => member.text)).toEqual(['web1', 'web2', 'web3']);
    expect(expandGroupReference('@db', withInventory).map((member) => member.text)).toEqual(['db1']);
    expect(expandGroupReference('@all', withInventory).map((member) => member.text)).toEqual(['u@127.0.1.1:2201']);
    expect(expandGroupReference('@all', without).map((member) => member.text)).toEqual(['db1', 'web1', 'web2', 'web3']);
  });

  it('refuses an unknown group naming the files searched, an empty group, and an upcall it does not run', () => {
    expect(() => expandGroupReference('@nope', withInventory)).toThrow(UnknownGroupError);
    expect(() => expandGroupReference('@nope', withInventory)).toThrow(/it is in none of\n {2}inv\.ini\n {2}groups\.conf/);
    expect(() => expandGroupReference('@empty', without)).toThrow(EmptyGroupError);
    expect(() => expandGroupReference('@slurm:compute', without)).toThrow(/slurm\.conf:3: group source "slurm" gets its groups by running/);
  });

  it('expands in -c lists and removes a group with -x; an empty group in -x matches nothing', () => {
    const groups = (reference: string) => expandGroupReference(reference, without);
    const hosts = parseComputerNames('@web,mail', '--computer-name', groups);
    expect(hosts.map((host) => host.raw)).toEqual(['web1', 'web2', 'web3', 'mail']);
    expect(excludeHosts(hosts, ['@web,@empty'], groups)).toEqual({ kept: [hosts[3]], unmatched: ['@empty'] });
  });
});
