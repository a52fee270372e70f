import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import { AnsibleHostPatternError, expandAnsibleHostPattern } from './ansible-host-pattern.js';
import type { AnsibleInventory } from './ansible-inventory.js';
import { GroupsFileError } from './group-errors.js';

/**
 * Reads an Ansible YAML inventory into `inventory`, as Ansible's yaml plugin
 * does: each top-level key is a group (`all` among them) holding `hosts`
 * (host patterns, each with its variables or empty), `vars` and `children`
 * (groups, nested the same way). Returns the warnings Ansible would print for
 * keys it skips.
 *
 * @throws GroupsFileError with the line, for YAML that does not parse or a section that is not a mapping.
 */
export function parseAnsibleYaml(text: string, file: string, inventory: AnsibleInventory): string[] {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  const lineOf = (node: unknown) => {
    const range = (node as Node | null | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : 1;
  };
  const [first] = document.errors;
  if (first) throw new GroupsFileError(file, first.linePos?.[0].line ?? 1, `not YAML: ${first.message.split('\n')[0] ?? ''}`);
  const root = document.contents;
  if (root === null) return [];
  if (!isMap(root)) throw new GroupsFileError(file, lineOf(root), 'an inventory is a mapping of groups (all: {hosts: ..., children: ...})');
  const warnings: string[] = [];
  const keyText = (node: unknown) => String(isScalar(node) ? node.value : node);

  const parseGroup = (name: string, data: unknown, line: number): void => {
    if (data !== null && !(isScalar(data) && data.value === null) && !isMap(data)) {
      warnings.push(`${file}:${line}: Skipping '${name}' as this is not a valid group definition`);
      return;
    }
    inventory.addGroup(name);
    if (!isMap(data)) return;
    for (const pair of data.items) {
      const key = keyText(pair.key);
      const value = pair.value as Node | null;
      const at = lineOf(pair.key);
      const empty = value === null || (isScalar(value) && value.value === null);
      if (!['vars', 'children', 'hosts'].includes(key)) {
        warnings.push(`${file}:${at}: Skipping unexpected key (${key}) in group (${name}), only "vars", "children" and "hosts" are valid`);
        continue;
      }
      if (empty) continue;
      // Ansible takes a lone string as a one-key mapping.
      const entries: { key: string; value: unknown; line: number }[] = isScalar(value)
        ? [{ key: String(value.value), value: null, line: lineOf(value) }]
        : isMap(value)
          ? value.items.map((item) => ({ key: keyText(item.key), value: item.value, line: lineOf(item.key) }))
          : fail(at, `Invalid "${key}" entry for "${name}" group, requires a dictionary`);
      for (const entry of entries) {
        if (key === 'vars') inventory.setGroupVariable(name, entry.key, { value: plain(entry.value), origin: { file, line: entry.line } });
        else if (key === 'children') {
          parseGroup(entry.key, entry.value, entry.line);
          inventory.addChild(name, entry.key);
        } else addHosts(name, entry.key, entry.value, entry.line);
      }
    }
  };

  const addHosts = (group: string, pattern: string, vars: unknown, line: number) => {
    let expanded: { hosts: string[]; port: number | null };
    try {
      expanded = expandAnsibleHostPattern(pattern);
    } catch (error) {
      if (error instanceof AnsibleHostPatternError) return fail(line, `Invalid host pattern '${pattern}': ${error.problem}`);
      throw error;
    }
    const origin = { file, line };
    const variables = isMap(vars)
      ? vars.items.map((item) => ({ key: keyText(item.key), value: plain(item.value), line: lineOf(item.key) }))
      : [];
    if (vars !== null && !isMap(vars) && !(isScalar(vars) && vars.value === null))
      fail(line, `the variables of host ${pattern} are not a mapping`);
    for (const host of expanded.hosts) {
      inventory.addHost(host, group, origin);
      if (expanded.port !== null) inventory.setHostVariable(host, 'ansible_port', { value: expanded.port, origin });
      for (const variable of variables)
        inventory.setHostVariable(host, variable.key, { value: variable.value, origin: { file, line: variable.line } });
    }
  };

  const fail = (line: number, problem: string): never => {
    throw new GroupsFileError(file, line, problem);
  };

  for (const pair of root.items) parseGroup(keyText(pair.key), pair.value, lineOf(pair.key));
  return warnings;
}

function plain(node: unknown): unknown {
  if (isScalar(node)) return node.value;
  return node === null || node === undefined ? null : (node as { toJSON(): unknown }).toJSON();
}
