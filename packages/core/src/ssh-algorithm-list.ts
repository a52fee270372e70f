import { matchPatternList } from './ssh-patterns.js';

/** Names in order, each once (OpenSSH's kex_names_cat). */
function concatNames(first: readonly string[], second: readonly string[]): string[] {
  return [...new Set([...first, ...second])];
}

/**
 * An algorithm list as ssh_config writes it, applied as OpenSSH's
 * kex_assemble_names applies it: `+list` appends to the defaults, `-list`
 * removes what its patterns match from them, `^list` puts the list first,
 * and a plain list replaces them; every name or pattern of a plain, `+` or
 * `^` list becomes the supported algorithms it matches, in their order.
 */
export function assembleAlgorithms(spec: string | undefined, defaults: readonly string[], supported: readonly string[]): string[] {
  if (spec === undefined || spec === '') return [...defaults];
  const rest = spec.slice(1).split(',');
  if (spec.startsWith('-')) return defaults.filter((name) => matchPatternList(name, spec.slice(1)) !== 1);
  const list = spec.startsWith('+') ? concatNames(defaults, rest) : spec.startsWith('^') ? concatNames(rest, defaults) : spec.split(',');
  let result: string[] = [];
  for (const pattern of list) {
    result = concatNames(
      result,
      supported.filter((name) => matchPatternList(name, pattern) === 1),
    );
  }
  return result;
}

/**
 * Why ssh would refuse a list (`Bad SSH2 cipher spec`): a name it does not
 * know, or for key algorithms a pattern matching none. `-` lists are not
 * checked, as ssh does not check them. null when the list is good.
 */
export function badAlgorithmName(spec: string, supported: readonly string[], patternsAllowed: boolean): string | null {
  if (spec.startsWith('-')) return null;
  const names = (spec.startsWith('+') || spec.startsWith('^') ? spec.slice(1) : spec).split(',');
  for (const name of names) {
    if (supported.includes(name)) continue;
    if (patternsAllowed && !name.startsWith('!') && supported.some((known) => matchPatternList(known, name) !== 0)) continue;
    return name;
  }
  return null;
}
