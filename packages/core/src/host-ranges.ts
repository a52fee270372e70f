/**
 * Folds host names into ranges, as ClusterShell writes node sets:
 * `web1 web2 web3 web7 db` → `db,web[1-3,7]`. Names that differ only in
 * their last number share a pattern; numbers keep their zero padding
 * (`web01-web03` → `web[01-03]`), and a number padded differently starts a
 * range of its own. Names without a number stay as they are.
 */
export function foldHosts(hosts: Iterable<string>): string {
  const patterns = new Map<string, { prefix: string; suffix: string; numbers: Set<string> }>();
  const plain = new Set<string>();
  for (const host of hosts) {
    const match = /^(.*?)(\d+)(\D*)$/.exec(host);
    if (match === null) {
      plain.add(host);
      continue;
    }
    const [, prefix = '', digits = '', suffix = ''] = match;
    const key = `${prefix}\u0000${suffix}`;
    const pattern = patterns.get(key) ?? { prefix, suffix, numbers: new Set<string>() };
    pattern.numbers.add(digits);
    patterns.set(key, pattern);
  }
  const folded = [...plain];
  for (const { prefix, suffix, numbers } of patterns.values()) {
    if (numbers.size === 1) folded.push(`${prefix}${[...numbers][0]}${suffix}`);
    else folded.push(`${prefix}[${numberRanges([...numbers])}]${suffix}`);
  }
  return folded.sort(compareNatural).join(',');
}

/** Hosts that share a reason: the reason, the hosts folded, and how many entries (an entry given twice counts twice). */
export interface ReasonGroup {
  reason: string;
  hosts: string;
  count: number;
}

/**
 * Names each distinct reason once with its hosts folded, as clush reports
 * failures: `web[03,17-19] (4): connection refused`. The reason with most
 * entries comes first; ties keep the order in which reasons first appear.
 * A reason is put on one line (its line breaks, `\r` too, become a space):
 * one that quotes a host or comes from Redis cannot print a line that reads
 * as another report's (issue 16).
 */
export function foldHostsByReason(items: Iterable<{ host: string; reason: string }>): ReasonGroup[] {
  const byReason = new Map<string, string[]>();
  for (const { host, reason: text } of items) {
    const reason = text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
    byReason.set(reason, [...(byReason.get(reason) ?? []), host]);
  }
  return [...byReason]
    .map(([reason, hosts]) => ({ reason, hosts: foldHosts(hosts), count: hosts.length }))
    .sort((a, b) => b.count - a.count);
}

/** `1 2 3 7 9 10` → `1-3,7,9-10`: runs of consecutive numbers, padded alike (`09-10`, never `9-010`). */
function numberRanges(numbers: string[]): string {
  const sorted = numbers.sort((a, b) => Number(a) - Number(b) || a.length - b.length);
  const ranges: string[] = [];
  let start = sorted[0] as string;
  let end = start;
  const close = () => ranges.push(start === end ? start : `${start}-${end}`);
  for (const number of sorted.slice(1)) {
    const follows = Number(number) === Number(end) + 1 && (number.length === end.length || (!padded(number) && !padded(end)));
    if (follows) {
      end = number;
      continue;
    }
    close();
    start = end = number;
  }
  close();
  return ranges.join(',');
}

/** `09` is padded: it follows `08` but not `8`. */
function padded(number: string): boolean {
  return number.startsWith('0') && number.length > 1;
}

function compareNatural(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
