import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import {
  AnsibleInventory,
  FileReadError,
  flatFilesOfUpcall,
  GroupsFileError,
  parseAnsibleInventory,
  parseFlatGroups,
  parseGroupsConf,
  parseYamlGroups,
  splitConfWords,
  type ClusterShellGroups,
  type ClusterShellSource,
  type ConfSections,
  type HostGroups,
} from '@fleet/core';

/** Where fleet looks for groups, as `fleet invoke --help` and the README say it. */
export const GROUPS_FILES_HELP =
  'Groups (@name) come from each --inventory FILE (Ansible INI or YAML; else $ANSIBLE_INVENTORY), then from ClusterShell: ' +
  '$FLEET_GROUPS_CONF alone if set, else /etc/clustershell/groups.conf, ~/.local/etc/clustershell/groups.conf, ' +
  '$XDG_CONFIG_HOME/clustershell/groups.conf (~/.config) and $CLUSTERSHELL_CFGDIR/groups.conf, merged in that order as ClusterShell merges them, ' +
  'with their groups.conf.d/*.conf and groups.d/*.yaml.\n';

/** The groups.conf files ClusterShell reads, in its order (a later one's options win), or `FLEET_GROUPS_CONF` alone. */
export function groupsConfPaths(env: NodeJS.ProcessEnv): string[] {
  if (env.FLEET_GROUPS_CONF) return [env.FLEET_GROUPS_CONF];
  const home = env.HOME ?? homedir();
  const paths = [
    '/etc/clustershell/groups.conf',
    join(home, '.local/etc/clustershell/groups.conf'),
    join(env.XDG_CONFIG_HOME || join(home, '.config'), 'clustershell/groups.conf'),
  ];
  if (env.CLUSTERSHELL_CFGDIR) paths.push(join(env.CLUSTERSHELL_CFGDIR, 'groups.conf'));
  return paths;
}

/**
 * Reads what `@name` is looked up in: the inventories (`--inventory`, else
 * `$ANSIBLE_INVENTORY`, comma-separated) and ClusterShell's groups files.
 * Returns the warnings to print (an inventory's group_vars that fleet does
 * not read, keys Ansible would skip).
 */
export async function loadHostGroups(
  inventories: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ groups: HostGroups; warnings: string[] }> {
  const searched: string[] = [];
  const warnings: string[] = [];
  const inventoryFiles =
    inventories.length > 0 ? inventories : (env.ANSIBLE_INVENTORY ?? '').split(',').filter((path) => path.trim() !== '');
  let inventory: AnsibleInventory | null = null;
  if (inventoryFiles.length > 0) {
    inventory = new AnsibleInventory();
    for (const file of inventoryFiles) {
      const text = await readFile(file, 'utf8').catch((error: unknown) => {
        throw new FileReadError('the inventory', file, error, {
          hint: 'give an Ansible inventory file, INI or YAML, with --inventory FILE',
        });
      });
      searched.push(file);
      warnings.push(...parseAnsibleInventory(text, file, inventory));
      for (const vars of ['group_vars', 'host_vars']) {
        const beside = join(dirname(file), vars);
        if (await exists(beside))
          warnings.push(`${beside}: fleet does not read ${vars}; an ansible_host, ansible_user or ansible_port set there is not applied`);
      }
    }
    inventory.reconcile();
  }
  const clustershell = await loadClusterShellGroups(env, searched);
  return { groups: { inventory, clustershell, searched }, warnings };
}

/** ClusterShell's GroupResolverConfig: merged groups.conf, its confdir parts, its autodir YAML files, then its own sections. */
async function loadClusterShellGroups(env: NodeJS.ProcessEnv, searched: string[]): Promise<ClusterShellGroups | null> {
  const conf: ConfSections = new Map();
  let cfgdir: string | undefined;
  for (const path of groupsConfPaths(env)) {
    const text = await readFile(path, 'utf8').catch((error: unknown) => {
      if (env.FLEET_GROUPS_CONF)
        throw new FileReadError('FLEET_GROUPS_CONF', path, error, { hint: 'name a ClusterShell groups.conf, or unset it' });
      return undefined;
    });
    searched.push(text === undefined ? `${path} (not found)` : path);
    if (text === undefined) continue;
    parseGroupsConf(text, path, conf);
    cfgdir = dirname(path);
  }
  if (cfgdir === undefined) return null;
  const sources = new Map<string, ClusterShellSource>();
  const main = conf.get('Main');
  const dirsOf = (key: string) => {
    const option = main?.get(key);
    return option === undefined
      ? []
      : splitConfWords(option.value).map((dir) => ({ dir: normalize(dir.replaceAll('$CFGDIR', cfgdir)), option }));
  };
  const seen = new Set<string>();
  for (const { dir, option } of dirsOf(main?.has('groupsdir') ? 'groupsdir' : 'confdir')) {
    if (seen.has(dir)) continue;
    seen.add(dir);
    for (const file of await filesIn(dir, '.conf', option)) {
      searched.push(file);
      await addConfSources(parseGroupsConf(await readFile(file, 'utf8'), file), dir, sources);
    }
  }
  seen.clear();
  for (const { dir, option } of dirsOf('autodir')) {
    if (seen.has(dir)) continue;
    seen.add(dir);
    for (const file of await filesIn(dir, '.yaml', option)) {
      searched.push(file);
      for (const [name, groups] of parseYamlGroups(await readFile(file, 'utf8'), file)) sources.set(name, { name, groups });
    }
  }
  await addConfSources(conf, cfgdir, sources, searched);
  const defaultOption = main?.get('default');
  const defaultSource = defaultOption?.value || (sources.keys().next().value ?? null);
  return {
    sources,
    defaultSource,
    ...(defaultOption?.value ? { defaultOrigin: { file: defaultOption.file, line: defaultOption.line } } : {}),
  };
}

/** The group sources of a groups.conf's sections (`[a,b]` is two); only ClusterShell's own flat-file `sed` upcalls are read, as their file. */
async function addConfSources(
  conf: ConfSections,
  cfgdir: string,
  sources: Map<string, ClusterShellSource>,
  searched?: string[],
): Promise<void> {
  for (const [section, options] of conf) {
    if (section === 'Main') continue;
    for (const name of section.split(',')) {
      if (name === 'Main') continue;
      const map = options.get('map');
      if (map === undefined) {
        const first = options.values().next().value;
        throw new GroupsFileError(
          first?.file ?? 'groups.conf',
          first?.line ?? 1,
          `group source [${section}] has no map upcall, which ClusterShell requires`,
        );
      }
      const upcalls = (['map', 'all', 'list'] as const).flatMap((kind) => {
        const option = options.get(kind);
        return option === undefined ? [] : [{ option, files: flatFilesOfUpcall(kind, option.value, cfgdir, name) }];
      });
      const program =
        upcalls.find(({ files }) => files === null) ?? upcalls.find(({ files }) => files?.join() !== upcalls[0]?.files?.join());
      if (program !== undefined) {
        sources.set(name, {
          name,
          groups: null,
          upcall: { command: program.option.value, origin: { file: program.option.file, line: program.option.line } },
        });
        continue;
      }
      let groups: ReturnType<typeof parseFlatGroups> = new Map();
      for (const file of upcalls[0]?.files ?? []) {
        const text = await readFile(file, 'utf8').catch(() => undefined);
        searched?.push(text === undefined ? `${file} (not found)` : file);
        if (text === undefined) continue;
        groups = parseFlatGroups(text, file);
        break;
      }
      sources.set(name, { name, groups });
    }
  }
}

async function filesIn(dir: string, extension: string, option: { file: string; line: number }): Promise<string[]> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) return [];
  if (!info.isDirectory()) throw new GroupsFileError(option.file, option.line, `${dir} is not a directory`);
  return (await readdir(dir))
    .filter((name) => name.endsWith(extension))
    .sort()
    .map((name) => join(dir, name));
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}
