import { HostRangeTooLarge, MalformedHostRange } from './errors.js';
import { GroupsFileError, type GroupOrigin } from './group-errors.js';
import type { StaticGroup } from './clustershell-groups.js';
import { expandHostPattern, MAX_HOSTS_PER_SELECTION } from './host-pattern.js';

/** What a node set in a groups file may refer to: groups by name and source, and a source's "all nodes". */
export interface NodeSetLookup {
  /** Group `name` of source `namespace` (null: the default source), or undefined when it has none. */
  group(name: string, namespace: string | null): StaticGroup | undefined;
  /** `@*`, `@source:*`. */
  all(namespace: string | null): StaticGroup;
}

/** Where a node set is being read: its source namespace, the line that wrote it, and the groups being expanded around it. */
export interface NodeSetContext {
  namespace: string | null;
  origin: GroupOrigin;
  /** `source:group` keys of the groups that led here, to refuse a group that contains itself. */
  chain: readonly string[];
  limit?: number;
}

const OPERATORS = new Set([',', '!', '&', '^']);

/**
 * Expands a ClusterShell node set as written in a groups file (`web[01-04]`,
 * `@io,@compute`, `@racks:rack[1-2]`, `@compute!@gpu`), as its ParsingEngine
 * does: white space separates like `,`; `,` `!` `&` `^` are union,
 * difference, intersection and symmetric difference, applied left to right;
 * `@group` and `@source:group` expand recursively in the namespace they were
 * written in; `@*` is the source's "all nodes". Hosts come out once each, in
 * the order the operations leave them.
 *
 * Where ClusterShell would quietly give an empty set (a group that does not
 * exist) or recurse for ever, this throws a GroupsFileError naming the line.
 */
export function evaluateNodeSet(text: string, lookup: NodeSetLookup, context: NodeSetContext): string[] {
  const limit = context.limit ?? MAX_HOSTS_PER_SELECTION;
  let result = new Set<string>();
  for (const { operator, token } of scanNodeSet(text.trim().replace(/\s+/g, ','))) {
    const operand = new Set(token.startsWith('@') ? expandGroups(token, lookup, context) : expandNodes(token, context));
    if (operator === ',') for (const node of operand) result.add(node);
    else if (operator === '!') for (const node of operand) result.delete(node);
    else if (operator === '&') result = new Set([...result].filter((node) => operand.has(node)));
    else for (const node of operand) if (!result.delete(node)) result.add(node);
    if (result.size > limit) throw new HostRangeTooLarge(text, result.size, limit);
  }
  return [...result];
}

function* scanNodeSet(text: string): Generator<{ operator: string; token: string }> {
  let depth = 0;
  let operator = ',';
  let start = 0;
  for (let index = 0; index <= text.length; index++) {
    const char = text[index];
    if (char === '[') depth++;
    else if (char === ']' && depth > 0) depth--;
    else if (char === undefined || (depth === 0 && OPERATORS.has(char))) {
      const token = text.slice(start, index);
      if (token !== '') yield { operator, token };
      operator = char ?? ',';
      start = index + 1;
    }
  }
}

function expandNodes(token: string, context: NodeSetContext): string[] {
  const { file, line } = context.origin;
  if (/[*?]/.test(token)) {
    throw new GroupsFileError(
      file,
      line,
      `${token}: fleet does not expand node wildcards in groups files`,
      'name the nodes or a range (web[01-04])',
    );
  }
  try {
    return expandHostPattern(token, context.limit);
  } catch (error) {
    if (error instanceof MalformedHostRange) throw new GroupsFileError(file, line, `malformed range in ${token}: ${error.problem}`);
    throw error;
  }
}

function expandGroups(token: string, lookup: NodeSetLookup, context: NodeSetContext): string[] {
  const { file, line } = context.origin;
  const hosts: string[] = [];
  const body = token.slice(1);
  // `@*` and `@source:*` are ClusterShell's "all nodes", not a wildcard.
  for (const reference of /(^|:)\*$/.test(body) ? [body] : expandNodes(body, context)) {
    const colon = reference.indexOf(':');
    const namespace = colon === -1 ? context.namespace : reference.slice(0, colon);
    const name = colon === -1 ? reference : reference.slice(colon + 1);
    const key = `${namespace ?? ''}:${name}`;
    if (context.chain.includes(key)) {
      throw new GroupsFileError(file, line, `group @${reference} contains itself (${[...context.chain, key].join(' → ')})`);
    }
    const group = name === '*' ? lookup.all(namespace) : lookup.group(name, namespace);
    if (group === undefined) {
      throw new GroupsFileError(file, line, `@${reference} is not a group${namespace === null ? '' : ` of source "${namespace}"`}`);
    }
    hosts.push(...evaluateNodeSet(group.nodes, lookup, { ...context, namespace, origin: group.origin, chain: [...context.chain, key] }));
  }
  return hosts;
}
