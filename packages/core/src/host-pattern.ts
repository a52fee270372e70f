import { HostRangeTooLarge, MalformedHostRange } from './errors.js';

/**
 * How many hosts one selection may name once its ranges are expanded. A range
 * is counted before it is expanded, so `node[1-99999999]` is refused without
 * building it.
 */
export const MAX_HOSTS_PER_SELECTION = 100_000;

/**
 * Splits a comma-separated list at its top-level commas only: the commas in
 * `db[1-3,7]` belong to the range. Parts are trimmed; empty parts are dropped.
 */
export function splitHostList(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < list.length; index++) {
    const char = list[index];
    if (char === '[') depth++;
    else if (char === ']' && depth > 0) depth--;
    else if (char === ',' && depth === 0) {
      parts.push(list.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(list.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

/** One run of text, or one bracketed range as the numbers it stands for, padded. */
type Piece = string | string[];

/**
 * Expands ClusterShell node-set ranges in one entry, as `nodeset -e` does:
 * `web[01-03]` → `web01 web02 web03` (zero padding kept), `db[1-3,7]`,
 * `n[1-10/3]` (a step), and several ranges as their cartesian product in
 * ClusterShell's order (`rack[1-2]-node[1-2]` → `rack1-node1 rack1-node2
 * rack2-node1 …`). Within one range the numbers are sorted and named once, as
 * a node set has them. User and port stay on every host
 * (`deploy@web[1-2]:2222`). Brackets holding an IPv6 address (`[::1]:22`) are
 * not a range and are left for the entry parser.
 *
 * @throws MalformedHostRange for a range that does not parse, with the offset of the fault.
 * @throws HostRangeTooLarge when the entry would name more than `limit` hosts.
 */
export function expandHostPattern(text: string, limit = MAX_HOSTS_PER_SELECTION): string[] {
  const pieces = parsePieces(text);
  let count = 1;
  for (const piece of pieces) if (typeof piece !== 'string') count *= piece.length;
  if (count > limit) throw new HostRangeTooLarge(text, count, limit);
  let hosts = [''];
  for (const piece of pieces) {
    if (typeof piece === 'string') hosts = hosts.map((host) => host + piece);
    else hosts = hosts.flatMap((host) => piece.map((number) => host + number));
  }
  return hosts;
}

function parsePieces(text: string): Piece[] {
  const pieces: Piece[] = [];
  let literal = '';
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    if (char === ']') throw new MalformedHostRange(text, index, '] without a [ before it');
    if (char !== '[') {
      literal += char;
      index++;
      continue;
    }
    const close = text.indexOf(']', index);
    const inside = text.slice(index + 1, close === -1 ? undefined : close);
    // `[::1]:22`, `[fe80::1%eth0]`: an IPv6 address, which the entry parser reads.
    if (inside.includes(':')) {
      if (close === -1) return [...pieces, literal + text.slice(index)];
      literal += text.slice(index, close + 1);
      index = close + 1;
      continue;
    }
    if (close === -1) throw new MalformedHostRange(text, text.length, 'missing ] to close the range opened at offset ' + index);
    if (literal !== '') pieces.push(literal);
    literal = '';
    pieces.push(parseRangeSet(text, index + 1, inside));
    index = close + 1;
  }
  if (literal !== '') pieces.push(literal);
  return pieces;
}

/** `1-3,7`, `01-10/2` → the numbers, each written as the range pads it, sorted and once each. */
function parseRangeSet(text: string, offset: number, inside: string): string[] {
  if (inside.trim() === '') throw new MalformedHostRange(text, offset, 'empty range: put numbers between [ and ], as in web[1-3]');
  const numbers = new Map<string, number>();
  let at = offset;
  for (const part of inside.split(',')) {
    const match = /^(\d+)(?:-(\d+)(?:\/(\d+))?)?$/.exec(part);
    if (match === null) {
      throw new MalformedHostRange(text, at, `bad range ${JSON.stringify(part)}: a range is N, N-M or N-M/STEP`);
    }
    const [, first = '', last = first, stepText = '1'] = match;
    const padded = (digits: string) => digits.length > 1 && digits.startsWith('0');
    if ((padded(first) || padded(last)) && first.length !== last.length) {
      throw new MalformedHostRange(text, at, `padding length mismatch in ${JSON.stringify(part)}: write both ends with as many digits`);
    }
    const start = Number(first);
    const end = Number(last);
    const step = Number(stepText);
    if (end < start) throw new MalformedHostRange(text, at, `range ${JSON.stringify(part)} runs backwards: write the lower number first`);
    if (step < 1) throw new MalformedHostRange(text, at, `step ${stepText} must be 1 or more`);
    const width = padded(first) ? first.length : 0;
    const size = Math.floor((end - start) / step) + 1;
    if (size > MAX_HOSTS_PER_SELECTION) throw new HostRangeTooLarge(text, size, MAX_HOSTS_PER_SELECTION);
    for (let value = start; value <= end; value += step) numbers.set(String(value).padStart(width, '0'), value);
    at += part.length + 1;
  }
  return [...numbers].sort((a, b) => a[1] - b[1] || a[0].length - b[0].length).map(([written]) => written);
}
