import { UsageError } from './errors.js';

/** Where a group, a host or a variable was written: the file as named, and its 1-based line. */
export interface GroupOrigin {
  file: string;
  line: number;
}

/**
 * A groups file (ClusterShell's `groups.conf`, a `groups.d/*.yaml`, an Ansible
 * inventory) that fleet cannot read as its tool would, or that asks for
 * something fleet does not do (an upcall, a template): the file and the line,
 * so that it is put right in one go. Nothing runs.
 */
export class GroupsFileError extends UsageError {
  override name = 'GroupsFileError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
    hint = 'put that line right, or name the hosts with -c or -f',
  ) {
    super(`${file}:${line}: ${problem}`, { hint });
  }
}

/** `@name` found in no inventory and no ClusterShell group source; `searched` is every file fleet looked in or for. */
export class UnknownGroupError extends UsageError {
  override name = 'UnknownGroupError';
  constructor(
    readonly group: string,
    readonly searched: readonly string[],
  ) {
    super(
      searched.length === 0
        ? `unknown group ${group}: fleet found no groups file and no inventory`
        : `unknown group ${group}: it is in none of\n${searched.map((file) => `  ${file}`).join('\n')}`,
      {
        hint: 'define it in an Ansible inventory given with --inventory FILE, or in a ClusterShell groups file (FLEET_GROUPS_CONF, or groups.d/*.yaml beside groups.conf); fleet invoke --help says where fleet looks',
      },
    );
  }
}

/** `@name` that exists but names no host: running on nothing is never what was meant. */
export class EmptyGroupError extends UsageError {
  override name = 'EmptyGroupError';
  constructor(
    readonly group: string,
    readonly origin: GroupOrigin | undefined,
  ) {
    super(`group ${group} names no host${origin === undefined ? '' : ` (${origin.file}:${origin.line})`}`, {
      hint: 'add hosts to the group, or name others with -c or -f',
    });
  }
}
