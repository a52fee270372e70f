import type { GroupOrigin } from './group-errors.js';
import type { StaticGroup } from './clustershell-groups.js';

// The upcalls of ClusterShell's own `local` source (conf/groups.conf since
// 1.7): a `sed` over a flat `group: nodes` file. They read a file and run
// nothing else, so fleet reads that file itself; any other upcall is a
// program fleet does not run.
const SED = {
  map: String.raw`sed -n 's/^$GROUP:\(.*\)/\1/p'`,
  all: String.raw`sed -n 's/^all:\(.*\)/\1/p'`,
  list: String.raw`sed -n 's/^\([0-9A-Za-z_-]*\):.*/\1/p'`,
} as const;

/**
 * The flat files a `map`, `all` or `list` upcall reads, when it is one of
 * ClusterShell's own `sed` upcalls (`sed -n 's/^$GROUP:…/p' FILE`, or its
 * `[ -f A ] && f=A || f=B; sed … $f` form): the files in the order the upcall
 * tries them, `$CFGDIR` and `$SOURCE` replaced and relative paths taken from
 * `cfgdir` (the upcall's working directory). Anything else is `null`: an
 * upcall fleet does not run.
 */
export function flatFilesOfUpcall(kind: keyof typeof SED, command: string, cfgdir: string, source: string): string[] | null {
  const text = command.trim().replace(/\s+/g, ' ');
  const sed = SED[kind];
  const resolve = (path: string) => {
    const replaced = path.replaceAll('$CFGDIR', cfgdir).replaceAll('${CFGDIR}', cfgdir).replaceAll('$SOURCE', source);
    if (replaced.includes('$')) return null;
    return replaced.startsWith('/') ? replaced : `${cfgdir}/${replaced}`;
  };
  if (text.startsWith(`${sed} `)) {
    const file = resolve(text.slice(sed.length + 1));
    return file === null || file.includes(' ') ? null : [file];
  }
  const fallback = /^\[ -f (\S+) \] && f=(\S+) \|\| f=(\S+); (.*) \$f$/.exec(text);
  if (fallback && fallback[1] === fallback[2] && fallback[4] === sed) {
    const first = resolve(fallback[1] as string);
    const second = resolve(fallback[3] as string);
    return first === null || second === null ? null : [first, second];
  }
  return null;
}

/**
 * Reads a flat groups file (`/etc/clustershell/groups`, `groups.d/local.cfg`)
 * as those `sed` upcalls do: each line `name: nodes` adds its nodes to group
 * `name` (a group on several lines has all of them); other lines are skipped.
 */
export function parseFlatGroups(text: string, file: string): Map<string, StaticGroup> {
  const groups = new Map<string, StaticGroup>();
  text.split('\n').forEach((line, index) => {
    const match = /^([0-9A-Za-z_-]+):(.*)$/.exec(line);
    if (!match) return;
    const name = match[1] as string;
    const origin: GroupOrigin = { file, line: index + 1 };
    const nodes = (match[2] as string).trim();
    const known = groups.get(name);
    groups.set(name, known === undefined ? { nodes, origin } : { nodes: `${known.nodes} ${nodes}`, origin: known.origin });
  });
  return groups;
}
