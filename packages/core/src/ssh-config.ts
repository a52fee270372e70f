import { globRegExp } from './glob.js';
import { OPENSSH_DEFAULT_ALGORITHMS } from './openssh-algorithms.js';
import type { SshOptions } from './ssh-options.js';

/** One `Host` block of an OpenSSH client configuration, in file order. */
export interface SshConfigBlock {
  /** Host patterns; a block before any `Host` line applies to every host (`*`). */
  patterns: string[];
  /** Keyword (lower case) and value, in file order. */
  options: [string, string][];
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
  /** SSH_AUTH_SOCK, for IdentityAgent's default. */
  authSocket?: string | null;
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
  const agent = first.get('identityagent');
  const proxyCommand = first.get('proxycommand');
  const proxyJump = first.get('proxyjump');
  const count = (keyword: string, fallback: number) => {
    const value = first.get(keyword);
    return value !== undefined && /^\d+$/.test(value) ? Number(value) : fallback;
  };
  return {
    host: alias,
    hostName,
    user,
    port,
    identityFiles: identityFiles.map(expand),
    userKnownHostsFiles: splitWords(first.get('userknownhostsfile') ?? '~/.ssh/known_hosts ~/.ssh/known_hosts2').map(expand),
    strictHostKeyChecking:
      strict === 'no' || strict === 'off' ? 'no' : strict === 'accept-new' ? 'accept-new' : strict === 'yes' ? 'yes' : 'ask',
    connectTimeoutMs: timeout !== undefined && /^\d+$/.test(timeout) ? Number(timeout) * 1000 : null,
    identitiesOnly: (first.get('identitiesonly') ?? 'no').toLowerCase() === 'yes',
    identityAgent:
      agent === undefined || agent === 'SSH_AUTH_SOCK'
        ? (context.authSocket ?? null)
        : agent.toLowerCase() === 'none'
          ? null
          : expand(agent),
    certificateFiles: [],
    globalKnownHostsFiles: ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
    hostKeyAlias: first.get('hostkeyalias') ?? null,
    connectionAttempts: count('connectionattempts', 1),
    serverAliveIntervalMs: count('serveraliveinterval', 0) * 1000,
    serverAliveCountMax: count('serveralivecountmax', 3),
    proxyCommand:
      proxyCommand === undefined || proxyCommand.toLowerCase() === 'none' ? null : expandTokens(proxyCommand, { ...tokens, n: alias }),
    proxyJump: proxyJump === undefined || proxyJump.toLowerCase() === 'none' ? [] : proxyJump.split(','),
    algorithms: structuredClone(OPENSSH_DEFAULT_ALGORITHMS),
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
