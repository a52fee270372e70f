import { InvalidJumpHost } from './errors.js';

/** One hop of a ProxyJump chain, as written: who to log in as, where, and on which port (null: the hop's own ssh_config decides). */
export interface JumpHop {
  /** The hop exactly as written in ProxyJump; failures name it so. */
  text: string;
  user: string | null;
  /** The host as ssh_config knows it (the hop's own Host blocks apply to it), without brackets. */
  host: string;
  port: number | null;
}

/**
 * A ProxyJump chain split as OpenSSH splits it (readconf.c, `parse_jump`):
 * the last hop is the one the target is reached from, itself reached through
 * the hops before it (`ssh -J a,b t` runs `ssh -J a -W t b`). Only the first
 * hop is connected to by its own ssh_config route.
 */
export interface JumpChain {
  last: JumpHop;
  /** The hops before the last, in order, as written; empty for a single hop. */
  before: string[];
}

/** Splits ProxyJump's hops (already split at commas) into the last hop and the chain that reaches it; null for no hops. */
export function splitJumpChain(hops: readonly string[]): JumpChain | null {
  const last = hops.at(-1);
  if (last === undefined) return null;
  for (const hop of hops) parseJumpHop(hop); // ssh checks every hop's syntax, not only the one it uses
  return { last: parseJumpHop(last), before: hops.slice(0, -1) };
}

/**
 * Parses one ProxyJump hop: `[user@]host[:port]` (a v6 address in brackets)
 * or `ssh://[user@]host[:port]`, as OpenSSH's `parse_user_host_port` and
 * `parse_ssh_uri` read them.
 */
export function parseJumpHop(text: string): JumpHop {
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f,]/.test(text)) throw new InvalidJumpHost(text, 'contains white space, a comma or a control character');
  return text.startsWith('ssh://') ? parseUri(text) : parseUserHostPort(text);
}

function parseUserHostPort(text: string): JumpHop {
  let rest = text;
  let user: string | null = null;
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    user = rest.slice(0, at);
    if (user === '') throw new InvalidJumpHost(text, 'empty user name before @');
    rest = rest.slice(at + 1);
  }
  // ssh also takes `host/port`, the old form kept for IPv6 addresses without brackets.
  const { host, tail } = splitHost(rest, text, /[:/]/);
  return { text, user, host, port: tail === null ? null : toPort(tail, text) };
}

function parseUri(text: string): JumpHop {
  let rest = text.slice('ssh://'.length);
  let user: string | null = null;
  const at = rest.indexOf('@');
  if (at !== -1) {
    // `user;params@host`: ssh ignores the connection parameters.
    const info = rest.slice(0, at).split(';')[0] ?? '';
    if (info === '') throw new InvalidJumpHost(text, 'empty user name before @');
    user = decodeUriPart(info, text);
    rest = rest.slice(at + 1);
  }
  const { host, tail, delimiter } = splitHost(rest, text, /[:/]/);
  let port: number | null = null;
  let path = tail;
  if (delimiter === ':' && tail !== null) {
    const slash = tail.indexOf('/');
    port = toPort(slash === -1 ? tail : tail.slice(0, slash), text);
    path = slash === -1 ? null : tail.slice(slash + 1);
  }
  if (path !== null && path !== '') throw new InvalidJumpHost(text, 'an ssh:// jump host takes no path');
  // OpenSSH's parse_uri wants a domain name there: no IPv6 address, no odd characters.
  if (!/^[A-Za-z0-9_]/.test(host) || /[^A-Za-z0-9._-]/.test(host) || host.includes('..')) {
    throw new InvalidJumpHost(text, 'an ssh:// jump host takes a host name (not an address in brackets)');
  }
  return { text, user, host: host.replace(/\.$/, ''), port };
}

/** {@link parseJumpHop}, with null for a hop ssh would refuse. */
export function jumpHopOrNull(text: string): JumpHop | null {
  try {
    return parseJumpHop(text);
  } catch (error) {
    if (error instanceof InvalidJumpHost) return null;
    throw error;
  }
}

/** The host (brackets removed) and what follows its delimiter, as OpenSSH's `hpdelim2` splits them. */
function splitHost(rest: string, text: string, delimiters: RegExp): { host: string; tail: string | null; delimiter: string | null } {
  let end: number;
  if (rest.startsWith('[')) {
    end = rest.indexOf(']');
    if (end === -1) throw new InvalidJumpHost(text, 'an address opened with [ is not closed with ]');
    end += 1;
  } else {
    const found = delimiters.exec(rest);
    end = found === null ? rest.length : found.index;
  }
  const bracketed = rest.slice(0, end);
  const host = bracketed.startsWith('[') ? bracketed.slice(1, -1) : bracketed;
  if (host === '') throw new InvalidJumpHost(text, 'no host name');
  if (end === rest.length) return { host, tail: null, delimiter: null };
  const delimiter = rest[end] ?? '';
  if (!delimiters.test(delimiter)) throw new InvalidJumpHost(text, `unexpected ${JSON.stringify(delimiter)} after the host`);
  return { host, tail: rest.slice(end + 1), delimiter };
}

function toPort(text: string, hop: string): number | null {
  if (text === '') return null;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new InvalidJumpHost(hop, `bad port ${JSON.stringify(text)} (1 to 65535)`);
  return port;
}

function decodeUriPart(part: string, hop: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new InvalidJumpHost(hop, `bad %-escape in ${JSON.stringify(part)}`);
  }
}
