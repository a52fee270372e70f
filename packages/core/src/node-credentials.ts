import { createHash } from 'node:crypto';
import { UsageError } from './errors.js';

/**
 * Redis credentials of a node's own, for `fleet deploy --node-acl`: an ACL
 * user per node, limited as the README's least-privilege line (fleet's keys
 * and channels under the prefix, no `@dangerous` command, `INFO`), so that
 * a node's agent.env never holds the controller's password and one node's
 * user can be removed alone.
 */

/** The ACL user of the node an entry names: `fleet-node-` and the entry, with a short hash when it had to be spelt differently. */
export function nodeAclUser(entry: string): string {
  const plain = entry.replace(/[^A-Za-z0-9._-]/g, '_');
  if (plain === entry) return `fleet-node-${entry}`;
  return `fleet-node-${plain}-${createHash('sha256').update(entry).digest('hex').slice(0, 8)}`;
}

/**
 * The arguments of `ACL SETUSER USER ...` that give a node's user `password`
 * and nothing but what an agent needs. `reset` first: a second deploy
 * replaces the password (the old one stops working) and any rule added by hand.
 */
export function nodeAclRules(prefix: string, password: string): string[] {
  const pattern = `${escapeGlob(prefix)}*`;
  return ['reset', 'on', `>${password}`, `~${pattern}`, `&${pattern}`, '+@all', '-@dangerous', '+info'];
}

/** The line an operator would type to make the same user by hand (`redis-cli ACL SETUSER ...`), password left to fill in. */
export function nodeAclLine(entry: string, prefix: string): string {
  return `ACL SETUSER ${nodeAclUser(entry)} ${nodeAclRules(prefix, 'A-LONG-PASSWORD').join(' ')}`;
}

/** `url` with its user name and password replaced: the controller's address, the node's credentials. */
export function withRedisCredentials(url: string, user: string, password: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError('the Redis URL is not a URL; give redis://[USER:PASSWORD@]HOST:PORT');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new UsageError(`per-node Redis users need a redis:// or rediss:// address, not ${parsed.protocol}//`);
  }
  parsed.username = encodeURIComponent(user);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/** Redis glob patterns treat `*`, `?`, `[`, `]` and `\` specially; a prefix means itself. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}
