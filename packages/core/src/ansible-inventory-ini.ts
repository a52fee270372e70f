import { HostRangeTooLarge } from './errors.js';
import { AnsibleHostPatternError, expandAnsibleHostPattern } from './ansible-host-pattern.js';
import type { AnsibleInventory } from './ansible-inventory.js';
import { GroupsFileError } from './group-errors.js';

// The patterns of Ansible's ini inventory plugin.
const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

/**
 * Reads an Ansible INI inventory into `inventory`, as Ansible's ini plugin
 * does: host lines (`pattern [key=value ...]`) before any section are
 * `ungrouped`; `[group]` lists hosts, `[group:children]` groups and
 * `[group:vars]` variables; `web[01:40]` ranges and `host:port` expand.
 * Values are read as Python literals where they are one (`2222`, `'bob'`).
 *
 * @throws GroupsFileError with the line, for what Ansible refuses.
 */
export function parseAnsibleIni(text: string, file: string, inventory: AnsibleInventory): void {
  let group = 'ungrouped';
  let state = 'hosts';
  const defined = new Set<string>(['all', 'ungrouped']);
  const pending: { name: string; line: number; problem: string }[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const fail = (problem: string): never => {
      throw new GroupsFileError(file, line, problem);
    };
    const content = raw.trim();
    if (content === '' || content.startsWith('#') || content.startsWith(';')) return;
    const section = SECTION.exec(content);
    if (section) {
      group = section[1] as string;
      state = section[2] ?? 'hosts';
      if (!['hosts', 'children', 'vars'].includes(state)) fail(`Section [${group}:${state}] has unknown type: ${state}`);
      if (state !== 'vars') defined.add(group);
      else if (!inventory.hasGroup(group))
        pending.push({ name: group, line, problem: `Section [${group}:vars] not valid for undefined group: ${group}` });
      inventory.addGroup(group);
      return;
    }
    if (content.startsWith('[') && content.endsWith(']')) {
      fail(
        `Invalid section entry: '${content}'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters`,
      );
    }
    const origin = { file, line };
    if (state === 'hosts') {
      const tokens = shellWords(content, fail);
      const [pattern, ...assignments] = tokens;
      if (pattern === undefined) return;
      let expanded: { hosts: string[]; port: number | null };
      try {
        expanded = expandAnsibleHostPattern(pattern);
      } catch (error) {
        if (error instanceof AnsibleHostPatternError) return fail(`Invalid host pattern '${pattern}': ${error.problem}`);
        if (error instanceof HostRangeTooLarge) throw error;
        throw error;
      }
      const variables = assignments.map((assignment) => {
        const equals = assignment.indexOf('=');
        if (equals === -1) fail(`Expected key=value host variable assignment, got: ${assignment}`);
        return [assignment.slice(0, equals), pythonLiteral(assignment.slice(equals + 1))] as const;
      });
      for (const host of expanded.hosts) {
        inventory.addHost(host, group, origin);
        if (expanded.port !== null) inventory.setHostVariable(host, 'ansible_port', { value: expanded.port, origin });
        for (const [key, value] of variables) inventory.setHostVariable(host, key, { value, origin });
      }
    } else if (state === 'vars') {
      const equals = content.indexOf('=');
      if (equals === -1) fail(`Expected key=value, got: ${content}`);
      inventory.setGroupVariable(group, content.slice(0, equals).trim(), {
        value: pythonLiteral(content.slice(equals + 1).trim()),
        origin,
      });
    } else {
      const child = GROUP_NAME.exec(content)?.[1];
      if (child === undefined) return fail(`${content} is not a valid group name`);
      if (!inventory.hasGroup(child))
        pending.push({ name: child, line, problem: `Section [${group}:children] includes undefined group: ${child}` });
      inventory.addChild(group, child);
    }
  });
  for (const { name, line, problem } of pending) if (!defined.has(name)) throw new GroupsFileError(file, line, problem);
}

/** Python's `ast.literal_eval` for the literals inventories hold (numbers, quoted strings, booleans); anything else stays text. */
function pythonLiteral(text: string): unknown {
  const value = text.replace(/\s+#.*$/, '').trim();
  if (/^-?\d+$/.test(value)) return Number(value);
  const quoted = /^'((?:[^'\\]|\\.)*)'$|^"((?:[^"\\]|\\.)*)"$/.exec(value);
  if (quoted) return (quoted[1] ?? quoted[2] ?? '').replace(/\\(.)/g, '$1');
  if (value === 'True') return true;
  if (value === 'False') return false;
  return text;
}

/** Python's `shlex.split(line, comments=True)`: quotes, backslashes, and `#` starting a comment at a word's start. */
function shellWords(line: string, fail: (problem: string) => never): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let index = 0;
  while (index < line.length) {
    const char = line[index] as string;
    if (/\s/.test(char)) {
      if (word !== null) words.push(word);
      word = null;
      index++;
    } else if (char === '#' && word === null) {
      break;
    } else if (char === "'" || char === '"') {
      const close = char === "'" ? line.indexOf("'", index + 1) : closingDoubleQuote(line, index + 1);
      if (close === -1) fail(`Error parsing host definition '${line}': No closing quotation`);
      const inside = line.slice(index + 1, close);
      word = (word ?? '') + (char === '"' ? inside.replace(/\\(["\\$`])/g, '$1') : inside);
      index = close + 1;
    } else if (char === '\\' && index + 1 < line.length) {
      word = (word ?? '') + (line[index + 1] as string);
      index += 2;
    } else {
      word = (word ?? '') + char;
      index++;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

function closingDoubleQuote(line: string, from: number): number {
  for (let index = from; index < line.length; index++) {
    if (line[index] === '\\') index++;
    else if (line[index] === '"') return index;
  }
  return -1;
}
