import { globRegExp } from './glob.js';

// A config names the same few patterns for every host: compile each once.
const compiled = new Map<string, RegExp>();

/** OpenSSH's match_pattern: `*` and `?` wildcards over the whole string, case as written. */
export function matchPattern(text: string, pattern: string): boolean {
  let regExp = compiled.get(pattern);
  if (regExp === undefined) {
    regExp = globRegExp(pattern);
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(pattern, regExp);
  }
  return regExp.test(text);
}

/**
 * OpenSSH's match_pattern_list over a comma-separated list: 1 when a positive
 * pattern matches and no negated one does, -1 when a negated one matches, 0
 * otherwise. `lowerPatterns` lowercases the patterns (the caller lowercases
 * the text), as ssh does for host names.
 */
export function matchPatternList(text: string, list: string, lowerPatterns = false): -1 | 0 | 1 {
  return matchPatterns(text, list.split(','), lowerPatterns);
}

/** OpenSSH's match_hostname: a pattern list matched without regard to case (known_hosts, Match host). */
export function matchHostname(host: string, list: string): boolean {
  return matchPatternList(host.toLowerCase(), list, true) === 1;
}

/**
 * A `Host` line's patterns against a host: the block applies when one
 * pattern matches and no `!pattern` does (case as written, as ssh compares).
 */
export function hostBlockMatches(patterns: readonly string[], host: string): boolean {
  return matchPatterns(host, patterns, false) === 1;
}

function matchPatterns(text: string, items: readonly string[], lowerPatterns: boolean): -1 | 0 | 1 {
  let positive = false;
  for (const item of items) {
    const negated = item.startsWith('!');
    let pattern = negated ? item.slice(1) : item;
    if (lowerPatterns) pattern = pattern.toLowerCase();
    if (matchPattern(text, pattern)) {
      if (negated) return -1;
      positive = true;
    }
  }
  return positive ? 1 : 0;
}
