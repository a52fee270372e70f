import { InvalidHostEntry } from './errors.js';

/** One line of a hosts list, parsed: who to log in as, where, and whether it runs locally. */
export interface HostEntry {
  /** The entry exactly as written; it is the child's `location`. */
  raw: string;
  user: string | null;
  /** Host name or address, without brackets. */
  host: string;
  port: number | null;
  /** True only for the bare entry `localhost`, which runs without SSH. */
  local: boolean;
}

const USER = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$/;
const IPV6 = /^[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?$/;

/**
 * Parses `[user@]host[:port]` or `[user@][v6addr]:port`. Anything that is not a
 * host name or an address is refused, so that no entry can smuggle an option
 * (`-oProxyCommand=…`) or shell syntax into what runs later.
 */
export function parseHostEntry(text: string): HostEntry {
  const raw = text;
  if (raw.length === 0) throw new InvalidHostEntry(raw, 'empty entry');
  if (raw.length > 1024) throw new InvalidHostEntry(raw, 'longer than 1024 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(raw)) throw new InvalidHostEntry(raw, 'contains white space or a control character');

  // ClusterShell's and Ansible's groups; without this, `@all` would read as an empty user name.
  if (raw.startsWith('@')) {
    throw new InvalidHostEntry(
      raw,
      'a group (@name) is expanded before entries are parsed, not as an entry; name the hosts with -c a,b,c or -f FILE',
    );
  }

  let rest = raw;
  let user: string | null = null;
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!USER.test(user)) throw new InvalidHostEntry(raw, `user name ${JSON.stringify(user)} is not a valid login name`);
  }

  let host: string;
  let portText: string | null = null;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1) throw new InvalidHostEntry(raw, 'missing ] after the IPv6 address');
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw new InvalidHostEntry(raw, 'expected :port after ]');
      portText = after.slice(1);
    }
    if (!IPV6.test(host) || !host.includes(':')) throw new InvalidHostEntry(raw, `${JSON.stringify(host)} is not an IPv6 address`);
  } else if ((rest.match(/:/g) ?? []).length > 1) {
    // A bare IPv6 address; it cannot carry a port without brackets.
    host = rest;
    if (!IPV6.test(host)) throw new InvalidHostEntry(raw, `${JSON.stringify(host)} is not an IPv6 address`);
  } else {
    const colon = rest.indexOf(':');
    host = colon === -1 ? rest : rest.slice(0, colon);
    if (colon !== -1) portText = rest.slice(colon + 1);
    if (host.length === 0) throw new InvalidHostEntry(raw, 'empty host name');
    if (host.length > 253) throw new InvalidHostEntry(raw, 'host name longer than 253 characters');
    if (!host.split('.').every((label) => LABEL.test(label))) {
      throw new InvalidHostEntry(raw, `${JSON.stringify(host)} is not a host name or address`);
    }
  }

  let port: number | null = null;
  if (portText !== null) {
    if (!/^\d{1,5}$/.test(portText)) throw new InvalidHostEntry(raw, `port ${JSON.stringify(portText)} is not a number`);
    port = Number(portText);
    if (port < 1 || port > 65535) throw new InvalidHostEntry(raw, `port ${port} is not between 1 and 65535`);
  }

  return { raw, user, host, port, local: raw === 'localhost' };
}
