import { globRegExp } from './glob.js';

/**
 * A known_hosts pattern list (`*` and `?`, without regard to case): a
 * matching `!pattern` excludes the host outright. ssh_config's `Host` lines
 * compare case as written: see ssh-patterns.ts.
 */
export function hostMatches(patterns: readonly string[], host: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (globMatch(negated ? pattern.slice(1) : pattern, host)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

export function globMatch(pattern: string, text: string): boolean {
  return globRegExp(pattern, { ignoreCase: true }).test(text);
}
