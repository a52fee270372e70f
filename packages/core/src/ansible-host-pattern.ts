import { HostRangeTooLarge } from './errors.js';
import { MAX_HOSTS_PER_SELECTION } from './host-pattern.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A host pattern of an Ansible inventory that does not expand; `problem` is Ansible's own wording. */
export class AnsibleHostPatternError extends Error {
  override name = 'AnsibleHostPatternError';
  constructor(
    readonly pattern: string,
    readonly problem: string,
  ) {
    super(`${pattern}: ${problem}`);
  }
}

/**
 * Expands a host pattern as an Ansible inventory writes it
 * (`_expand_hostpattern`): an optional `:port` (`host:2222`,
 * `[v6addr]:2222`), then each `[begin:end]` or `[begin:end:step]` range from
 * the left (`web[01:40]` keeps the width of a zero-padded begin,
 * `db-[a:f]` counts letters).
 *
 * @throws AnsibleHostPatternError as Ansible refuses a range.
 * @throws HostRangeTooLarge past `limit` hosts.
 */
export function expandAnsibleHostPattern(pattern: string, limit = MAX_HOSTS_PER_SELECTION): { hosts: string[]; port: number | null } {
  const { name, port } = splitPort(pattern.trim());
  if (pattern.trim().endsWith(':') && port === null) {
    throw new AnsibleHostPatternError(pattern, "ending in ':' is not allowed, this character is reserved to provide a port");
  }
  let hosts = [name];
  while (hosts.some(hasRange)) {
    hosts = hosts.flatMap((host) => (hasRange(host) ? expandFirstRange(host) : [host]));
    if (hosts.length > limit) throw new HostRangeTooLarge(pattern, hosts.length, limit);
  }
  return { hosts, port };
}

function hasRange(host: string): boolean {
  return /\[[^\]]*:[^\]]*\]/.test(host) && !/^\[[0-9A-Fa-f:.]+\]$/.test(host);
}

function splitPort(pattern: string): { name: string; port: number | null } {
  const v6 = /^\[([0-9A-Fa-f:.]+)\]:(\d+)$/.exec(pattern);
  if (v6) return { name: v6[1] as string, port: Number(v6[2]) };
  // Colons outside brackets: one is a port, more is a bare IPv6 address.
  let depth = 0;
  const colons: number[] = [];
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index];
    if (char === '[') depth++;
    else if (char === ']') depth = Math.max(0, depth - 1);
    else if (char === ':' && depth === 0) colons.push(index);
  }
  const [colon] = colons;
  if (colons.length === 1 && colon !== undefined && /^\d+$/.test(pattern.slice(colon + 1))) {
    return { name: pattern.slice(0, colon), port: Number(pattern.slice(colon + 1)) };
  }
  return { name: pattern, port: null };
}

function expandFirstRange(host: string): string[] {
  const open = host.indexOf('[');
  const close = host.indexOf(']', open);
  const head = host.slice(0, open);
  const tail = host.slice(close + 1);
  const bounds = host.slice(open + 1, close).split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new AnsibleHostPatternError(host, 'host range must be begin:end or begin:end:step');
  const begin = bounds[0] || '0';
  const end = bounds[1] as string;
  const step = bounds.length === 3 ? Number(bounds[2]) : 1;
  if (end === '') throw new AnsibleHostPatternError(host, 'host range must specify end value');
  if (!Number.isInteger(step) || step < 1)
    throw new AnsibleHostPatternError(host, `host range step ${bounds[2] ?? ''} is not a positive whole number`);
  let width = 0;
  if (begin.startsWith('0') && begin.length > 1) {
    if (begin.length !== end.length) throw new AnsibleHostPatternError(host, 'host range must specify equal-length begin and end formats');
    width = begin.length;
  }
  const items: string[] = [];
  const first = LETTERS.indexOf(begin);
  const last = LETTERS.indexOf(end);
  if (begin.length === 1 && end.length === 1 && first !== -1 && last !== -1) {
    if (first > last) throw new AnsibleHostPatternError(host, 'host range must have begin <= end');
    for (let index = first; index <= last; index += step) items.push(LETTERS[index] as string);
  } else {
    if (!/^\d+$/.test(begin) || !/^\d+$/.test(end))
      throw new AnsibleHostPatternError(host, `host range [${bounds.join(':')}] is neither numbers nor letters`);
    const from = Number(begin);
    const to = Number(end);
    if ((to - from) / step + 1 > MAX_HOSTS_PER_SELECTION)
      throw new HostRangeTooLarge(host, Math.floor((to - from) / step) + 1, MAX_HOSTS_PER_SELECTION);
    for (let number = from; number <= to; number += step) items.push(String(number).padStart(width, '0'));
  }
  return items.map((item) => `${head}${item}${tail}`);
}
