import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { GroupsFileError } from './group-errors.js';
import type { StaticGroup } from './clustershell-groups.js';

/**
 * Reads a ClusterShell `groups.d/*.yaml` file, as its YAMLGroupLoader does:
 * `source: {group: nodes}` at the top, where nodes is a node set (ranges,
 * `@other` groups, `,!&^` operations), a list of them, or empty (null: no
 * nodes). Returns each source's groups, with the line of each.
 *
 * @throws GroupsFileError for YAML that does not parse, or content ClusterShell refuses.
 */
export function parseYamlGroups(text: string, file: string): Map<string, Map<string, StaticGroup>> {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: false });
  const lineOf = (node: Node | null | undefined) => (node?.range ? lineCounter.linePos(node.range[0]).line : 1);
  const [first] = document.errors;
  if (first) throw new GroupsFileError(file, first.linePos?.[0].line ?? 1, `not YAML: ${first.message.split('\n')[0] ?? ''}`);
  const root = document.contents;
  if (!isMap(root)) throw new GroupsFileError(file, lineOf(root), 'invalid content: the top is not a mapping of group sources');
  const sources = new Map<string, Map<string, StaticGroup>>();
  for (const pair of root.items) {
    const key = pair.key as Node | null;
    if (!isScalar(key) || typeof key.value !== 'string') {
      throw new GroupsFileError(file, lineOf(key), `group source ${String(isScalar(key) ? key.value : key)} is not a string (add quotes?)`);
    }
    const value = pair.value as Node | null;
    if (!isMap(value)) throw new GroupsFileError(file, lineOf(value ?? key), `group source '${key.value}' is not a mapping of groups`);
    const groups = new Map<string, StaticGroup>();
    for (const groupPair of value.items) {
      const groupKey = groupPair.key as Node | null;
      if (!isScalar(groupKey) || typeof groupKey.value !== 'string') {
        throw new GroupsFileError(
          file,
          lineOf(groupKey),
          `${key.value}: group name ${String(isScalar(groupKey) ? groupKey.value : groupKey)} is not a string (add quotes?)`,
        );
      }
      const origin = { file, line: lineOf(groupKey) };
      groups.set(groupKey.value, { nodes: nodesOf(groupPair.value as Node | null, file, lineOf), origin });
    }
    sources.set(key.value, groups);
  }
  return sources;
}

function nodesOf(node: Node | null, file: string, lineOf: (node: Node | null) => number): string {
  if (node === null || (isScalar(node) && node.value === null)) return '';
  if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number')) return String(node.value);
  if (isSeq(node)) return node.items.map((item) => nodesOf(item as Node | null, file, lineOf)).join(',');
  throw new GroupsFileError(file, lineOf(node), 'a group is a node set, a list of node sets, or empty');
}
