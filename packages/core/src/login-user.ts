import { InvalidHostEntry, UsageError } from './errors.js';
import { parseHostEntry, type HostEntry } from './host-entry.js';

/**
 * `-l USER` (pssh's and clush's habit): every entry that names no user becomes
 * `USER@entry`, exactly as if written so; entries with a user keep theirs. The
 * bare `localhost` then becomes `USER@localhost`, which goes over SSH like any
 * entry with a user (SPEC §1): a login user asks for a login.
 */
export function withLoginUser(entries: readonly HostEntry[], user: string, flag = '-l'): HostEntry[] {
  try {
    parseHostEntry(`${user}@localhost`);
  } catch (error) {
    if (!(error instanceof InvalidHostEntry)) throw error;
    throw new UsageError(`${flag} ${JSON.stringify(user)} is not a valid login name`, { hint: 'give a user name such as deploy or root' });
  }
  return entries.map((entry) => (entry.user === null ? parseHostEntry(`${user}@${entry.raw}`) : entry));
}
