import { globRegExp } from './glob.js';

/** One `Host` block of an OpenSSH client configuration, in file order. */
export interface SshConfigBlock {
  /** Host patterns; a block before any `Host` line applies to every host (`*`). */
  patterns: string[];
  /** Keyword (lower case) and value, in file order. */
  options: [string, string][];
}

/** What fleet takes from the configuration for one host entry. */
export interface SshOptions {
  hostName: string;
  user: string;
  port: number;
  identityFiles: string[];
  userKnownHostsFiles: string[];
  strictHostKeyChecking: 'yes' | 'no' | 'accept-new' | 'ask';
  /** null when the configuration does not set one. */
  connectTimeoutMs: number | null;
  identitiesOnly: boolean;
}

/** Parses an ssh_config file. `Match` blocks other than `Match all` never apply; `Include` is not followed. */
export function parseSshConfig(text: string): SshConfigBlock[] {
  const blocks: SshConfigBlock[] = [{ patterns: ['*'], options: [] }];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!match) continue;
    const keyword = (match[1] ?? '').toLowerCase();
    const value = unquote((match[2] ?? '').trim());
    if (keyword === 'host') {
      blocks.push({ patterns: splitWords(match[2] ?? ''), options: [] });
    } else if (keyword === 'match') {
      blocks.push({ patterns: value.toLowerCase() === 'all' ? ['*'] : [], options: [] });
    } else {
      blocks.at(-1)?.options.push([keyword, value]);
    }
  }
  return blocks;
}

export interface ResolveContext {
  /** The local user, for %u and as the default remote user. */
  localUser: string;
  homeDir: string;
}

/**
 * The options for one host as OpenSSH resolves them: blocks whose patterns
 * match the host alias apply in file order, the first value obtained for a
 * keyword wins (IdentityFile accumulates), and `user@` or `:port` in the entry
 * win over the file, as on ssh's command line.
 */
export function resolveSshOptions(
  blocks: readonly SshConfigBlock[],
  alias: string,
  entry: { user: string | null; port: number | null },
  context: ResolveContext,
): SshOptions {
  const first = new Map<string, string>();
  const identityFiles: string[] = [];
  for (const block of blocks) {
    if (!hostMatches(block.patterns, alias)) continue;
    for (const [keyword, value] of block.options) {
      if (keyword === 'identityfile') identityFiles.push(value);
      else if (!first.has(keyword)) first.set(keyword, value);
    }
  }
  const hostName = expandTokens(first.get('hostname') ?? alias, { h: alias, ...tokenBase(context) });
  const user = entry.user ?? first.get('user') ?? context.localUser;
  const port = entry.port ?? (first.has('port') ? Number(first.get('port')) : 22);
  const tokens = { h: hostName, p: String(port), r: user, ...tokenBase(context) };
  const expand = (path: string) => expandPath(expandTokens(path, tokens), context.homeDir);
  const strict = (first.get('stricthostkeychecking') ?? 'ask').toLowerCase();
  const timeout = first.get('connecttimeout');
  return {
    hostName,
    user,
    port,
    identityFiles: identityFiles.map(expand),
    userKnownHostsFiles: splitWords(first.get('userknownhostsfile') ?? '~/.ssh/known_hosts ~/.ssh/known_hosts2').map(expand),
    strictHostKeyChecking:
      strict === 'no' || strict === 'off' ? 'no' : strict === 'accept-new' ? 'accept-new' : strict === 'yes' ? 'yes' : 'ask',
    connectTimeoutMs: timeout !== undefined && /^\d+$/.test(timeout) ? Number(timeout) * 1000 : null,
    identitiesOnly: (first.get('identitiesonly') ?? 'no').toLowerCase() === 'yes',
  };
}

/** OpenSSH pattern lists: `*` and `?` wildcards; a matching `!pattern` excludes the host outright. */
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

function tokenBase(context: ResolveContext): Record<string, string> {
  return { u: context.localUser, d: context.homeDir };
}

function expandTokens(value: string, tokens: Record<string, string>): string {
  return value.replace(/%(.)/g, (whole, letter: string) => (letter === '%' ? '%' : (tokens[letter] ?? whole)));
}

function expandPath(path: string, homeDir: string): string {
  return path === '~' ? homeDir : path.startsWith('~/') ? `${homeDir}${path.slice(1)}` : path;
}

function splitWords(text: string): string[] {
  return (text.match(/"[^"]*"|\S+/g) ?? []).map(unquote);
}

function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}
