import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_USER } from './support/ssh-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

// `@group` is held to the tools that define it, run in the same test on the
// same files: ClusterShell's `nodeset -e` for its groups files, and
// `ansible-inventory --list` for Ansible inventories. The hosts are real sshd
// processes; an inventory's hosts are reached only through ansible_host,
// ansible_user and ansible_port (their names resolve nowhere, and its
// ssh_config sets neither the port nor the user).
const ssh = useSshFleet(4);

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: { PATH: process.env.PATH, ...env } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')}: ${stderr || error.message}`, { cause: error }));
      else resolve(stdout);
    });
  });
}

/** `fleet invoke ARGS -- echo $FLEET_HOST $(id -un)`: each host's entry, as the host itself printed it, after checking it is the prefix. */
async function reached(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ hosts: string[]; stderr: string }> {
  const result = await ssh.env.fleet(['invoke', ...args, '--', 'echo "$FLEET_HOST $(id -un)"'], { env });
  expect(result.code, result.stderr).toBe(0);
  const lines = result.stdout.split('\n').filter((line) => line !== '');
  const hosts = lines.map((line) => {
    const [, prefix, entry, user] = /^(.*): (\S+) (\S+)$/.exec(line) ?? [];
    expect(prefix).toBe(entry);
    // The login user is the entry's user, or ssh_config's where the entry names none.
    expect(user).toBe(TEST_USER);
    return entry as string;
  });
  return { hosts: hosts.sort(), stderr: result.stderr };
}

async function nodeset(group: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  return (await run('nodeset', ['-e', group], env)).split(/\s+/).filter(Boolean).sort();
}

/** The entries Ansible gives the hosts of `group`: its hosts and its children's, with ansible_user, ansible_host and ansible_port applied. */
async function ansibleEntries(inventory: string, group: string): Promise<string[]> {
  const list = JSON.parse(await run('ansible-inventory', ['-i', inventory, '--list'], { HOME: ssh.env.home })) as Record<
    string,
    { hosts?: string[]; children?: string[]; hostvars?: Record<string, Record<string, string | number | undefined>> }
  >;
  const hostsOf = (name: string): string[] => [...(list[name]?.hosts ?? []), ...(list[name]?.children ?? []).flatMap(hostsOf)];
  const hostvars = list._meta?.hostvars ?? {};
  return [...new Set(hostsOf(group))]
    .map((host) => {
      const vars = hostvars[host] ?? {};
      return `${vars.ansible_user}@${vars.ansible_host ?? host}:${vars.ansible_port}`;
    })
    .sort();
}

describe('ClusterShell groups (@name, @source:name, @all) as nodeset -e expands them', () => {
  let cfgdir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    cfgdir = join(ssh.fleet.dir, 'clustershell');
    await mkdir(join(cfgdir, 'groups.d'), { recursive: true });
    await writeFile(join(cfgdir, 'groups.conf'), '[Main]\ndefault: roles\nconfdir:\nautodir: $CFGDIR/groups.d\n');
    const [a, b, c, d] = ssh.fleet.hosts.map((host) => host.address) as [string, string, string, string];
    await writeFile(
      join(cfgdir, 'groups.d', 'fleet.yaml'),
      [
        'roles:',
        `  web: '${a},${b}'`,
        `  db: [${c}]`,
        `  spare: '${d}'`,
        "  app: '@web,@db'",
        "  notdb: '@app!@db'",
        'racks:',
        `  rack1: '${a},${c}'`,
        `  rack2: '${b},${d}'`,
        "  both: '@rack[1-2]'",
        '',
      ].join('\n'),
    );
    env = { CLUSTERSHELL_CFGDIR: cfgdir };
  });

  it.each(['@web', '@app', '@notdb', '@racks:rack1', '@racks:both', '@rack[1-2]'])('runs on the hosts of %s', async (group) => {
    const oracle = group === '@rack[1-2]' ? '@racks:rack[1-2]' : group;
    const expected = await nodeset(oracle, env);
    expect(expected.length).toBeGreaterThan(0);
    const args = group === '@rack[1-2]' ? ['-c', '@racks:rack[1-2]'] : ['-c', group];
    expect((await reached(args, env)).hosts).toEqual(expected);
  });

  it('takes @all as every node of the default source when it has no all group (nodeset @*), and -x @group out of it', async () => {
    expect((await reached(['-c', '@all'], env)).hosts).toEqual(await nodeset('@*', env));
    expect((await reached(['-c', '@all', '-x', '@db,@spare'], env)).hosts).toEqual(await nodeset('@*!@db!@spare', env));
  });

  it('reads FLEET_GROUPS_CONF alone when it is set, and a hosts file naming groups', async () => {
    const file = join(ssh.env.home, 'hosts.txt');
    await writeFile(file, '# by role\n@web\n@db\n');
    const hosts = await reached(['-f', file], { FLEET_GROUPS_CONF: join(cfgdir, 'groups.conf') });
    expect(hosts.hosts).toEqual(await nodeset('@web,@db', env));
  });

  it("reads the flat file of ClusterShell's shipped [local] source, whose sed upcalls only read it", async () => {
    const local = join(ssh.env.home, 'local-groups');
    await mkdir(join(local, 'groups.d'), { recursive: true });
    // The groups.conf the clustershell package installs, as it is: [local]'s map, all and list are sed over $CFGDIR/groups.d/local.cfg.
    const shipped = await readFile('/etc/clustershell/groups.conf', 'utf8');
    expect(shipped).toContain("sed -n 's/^$GROUP:");
    await writeFile(join(local, 'groups.conf'), shipped);
    const [a, b, c] = ssh.fleet.hosts.map((host) => host.address) as [string, string, string];
    await writeFile(join(local, 'groups.d', 'local.cfg'), `# mine\nweb: ${a} ${b}\ndb: ${c}\nall: ${a},${c}\n`);
    const localEnv = { CLUSTERSHELL_CFGDIR: local };
    for (const group of ['@web', '@db', '@all', '@local:web']) {
      const expected = await nodeset(group, localEnv);
      expect(expected.length, group).toBeGreaterThan(0);
      expect((await reached(['-c', group], localEnv)).hosts, group).toEqual(expected);
    }
  });

  it('refuses, as exit 2 before anything runs, an unknown group naming the files searched, an empty group and an upcall', async () => {
    const unknown = await ssh.env.fleet(['invoke', '-c', '@nope', '--', 'true'], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown group @nope: it is in none of\n');
    expect(unknown.stderr).toContain(`  ${join(cfgdir, 'groups.conf')}\n`);
    expect(unknown.stderr).toContain(`  ${join(cfgdir, 'groups.d', 'fleet.yaml')}\n`);

    const bad = join(ssh.env.home, 'bad');
    await mkdir(join(bad, 'groups.d'), { recursive: true });
    await writeFile(
      join(bad, 'groups.conf'),
      "[Main]\ndefault: roles\nautodir: $CFGDIR/groups.d\n\n[slurm]\nmap: sinfo -h -o '%N' -p $GROUP\n",
    );
    await writeFile(join(bad, 'groups.d', 'g.yaml'), "roles:\n  none: ''\n  huge: 'n[1-200000]'\n  broken: 'web[1-'\n");
    const badEnv = { FLEET_GROUPS_CONF: join(bad, 'groups.conf') };
    const cases: [string, string][] = [
      ['@none', `group @none names no host (${join(bad, 'groups.d', 'g.yaml')}:2)`],
      ['@huge', 'would name 200,000 hosts, more than the 100,000'],
      ['@broken', `${join(bad, 'groups.d', 'g.yaml')}:4: malformed range in web[1-`],
      ['@slurm:compute', `${join(bad, 'groups.conf')}:6: group source "slurm" gets its groups by running`],
    ];
    for (const [group, message] of cases) {
      const result = await ssh.env.fleet(['invoke', '-c', group, '--', 'true'], { env: badEnv });
      expect(result.code, group).toBe(2);
      expect(result.stderr).toContain(message);
    }
    expect(await ssh.env.json(['get'])).toEqual([]);
  });
});

describe('Ansible inventories (--inventory, INI and YAML) as ansible-inventory --list reads them', () => {
  let sshConfig: string;
  let ini: string;
  let yaml: string;
  beforeAll(async () => {
    // Keys and known hosts only: the port and the user come from the inventory or nowhere.
    sshConfig = join(ssh.fleet.dir, 'ssh_config_inventory');
    await writeFile(
      sshConfig,
      `Host 127.0.*\n  IdentityFile ${ssh.fleet.clientKey}\n  UserKnownHostsFile ${ssh.fleet.knownHosts}\n  StrictHostKeyChecking yes\n  ConnectTimeout 5\n`,
    );
    const [a, b, c, d] = ssh.fleet.hosts.map((host) => host.address) as [string, string, string, string];
    const port = ssh.fleet.port;
    ini = join(ssh.fleet.dir, 'hosts.ini');
    await writeFile(
      ini,
      [
        `lonely.invalid ansible_host=${d} ansible_user=${TEST_USER} ansible_port=${port}`,
        '',
        '[web]',
        `web[01:02].invalid`,
        '[db]',
        `db-a.invalid ansible_host=${c}`,
        '',
        '[app:children]',
        'web',
        'db',
        '',
        '[app:vars]',
        `ansible_user=${TEST_USER}`,
        `ansible_port=${port}`,
        '[all:vars]',
        'ansible_user=nobody-here',
        'ansible_port=1',
        '',
        '# A section again: the addresses of the range above, one host each.',
        '[web]',
        `web01.invalid ansible_host=${a}`,
        `web02.invalid ansible_host=${b}`,
        '',
      ].join('\n'),
    );
    yaml = join(ssh.fleet.dir, 'hosts.yml');
    await writeFile(
      yaml,
      [
        'all:',
        '  vars:',
        '    ansible_user: nobody-here',
        '    ansible_port: 1',
        '  hosts:',
        '    lonely.invalid:',
        `      ansible_host: ${d}`,
        `      ansible_user: ${TEST_USER}`,
        `      ansible_port: ${port}`,
        '  children:',
        '    app:',
        '      vars:',
        `        ansible_user: ${TEST_USER}`,
        '      children:',
        '        web:',
        '          hosts:',
        `            web01.invalid: {ansible_host: ${a}, ansible_port: ${port}}`,
        `            web02.invalid: {ansible_host: ${b}, ansible_port: ${port}}`,
        '        db:',
        '          hosts:',
        `            db-a.invalid:${port}:`,
        `              ansible_host: ${c}`,
        '',
      ].join('\n'),
    );
  });

  it.each([
    ['INI', '@web'],
    ['INI', '@app'],
    ['INI', '@all'],
    ['INI', '@ungrouped'],
    ['YAML', '@app'],
    ['YAML', '@all'],
    ['YAML', '@db'],
  ])('runs %s inventory %s on the hosts ansible-inventory names, as user@ansible_host:ansible_port', async (kind, group) => {
    const file = kind === 'INI' ? ini : yaml;
    const expected = await ansibleEntries(file, group.slice(1));
    expect(expected.length).toBeGreaterThan(0);
    const { hosts } = await reached(['-i', file, '-c', group], { FLEET_SSH_CONFIG: sshConfig });
    expect(hosts).toEqual(expected);
  });

  it('takes -x @group out, and merges two inventories as ansible -i does', async () => {
    const all = await ansibleEntries(ini, 'all');
    const db = await ansibleEntries(ini, 'db');
    const { hosts } = await reached(['--inventory', ini, '-c', '@all', '-x', '@db'], { FLEET_SSH_CONFIG: sshConfig });
    expect(hosts).toEqual(all.filter((entry) => !db.includes(entry)));
    const both = await reached(['-i', ini, '-i', yaml, '-c', '@db'], { FLEET_SSH_CONFIG: sshConfig });
    expect(both.hosts).toEqual(db);
    // Without --inventory, $ANSIBLE_INVENTORY names the files, as it does for ansible.
    const fromEnv = await reached(['-c', '@db'], { FLEET_SSH_CONFIG: sshConfig, ANSIBLE_INVENTORY: `${ini},${yaml}` });
    expect(fromEnv.hosts).toEqual(db);
  });

  it('warns of an exclusion that matches nothing, and refuses a malformed inventory with its line', async () => {
    const { stderr } = await reached(['-i', ini, '-c', '@web', '-x', '@db'], { FLEET_SSH_CONFIG: sshConfig });
    expect(stderr).toContain('fleet: warning: --exclude @db matches no host\n');
    const broken = join(ssh.env.home, 'broken.ini');
    await writeFile(broken, '[web]\nweb1\n\n[app:children]\nweb\nnope\n');
    const result = await ssh.env.fleet(['invoke', '-i', broken, '-c', '@app', '--', 'true']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${broken}:6: Section [app:children] includes undefined group: nope`);
    // ansible-inventory refuses the same file.
    await expect(
      run('ansible-inventory', ['-i', broken, '--list'], { HOME: ssh.env.home, ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true' }),
    ).rejects.toThrow();
  });
});
