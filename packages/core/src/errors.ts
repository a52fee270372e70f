import { formatBytes } from './output-budget.js';

/**
 * Typed errors. Library code throws these; only the CLI entry decides what is
 * printed and which exit code a kind of error maps to.
 */

/** Base of every error fleet raises on purpose. */
export class FleetError extends Error {
  override name = 'FleetError';
  /** What the user can do about it, printed after the message. */
  readonly hint: string | undefined;
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
  }
}

/** Bad input: an unknown flag, a malformed value, a missing file. */
export class UsageError extends FleetError {
  override name = 'UsageError';
}

/** One entry of a hosts list that is not a host name or address, and where it was written. */
export interface BadHostEntry {
  /** The file as named (`<stdin>` for standard input), or the flag (`--computer-name`). */
  source: string;
  /** 1-based: the line of a file, or the place in a comma-separated list. */
  line: number;
  entry: string;
  problem: string;
  /** 0-based offset in `entry` of the fault, when it is one place (a malformed range). */
  offset?: number;
}

/**
 * Host entries that are not host names or addresses: every one found, so that
 * a file with several bad lines is put right in one go. Nothing runs.
 */
export class HostEntryError extends UsageError {
  override name = 'HostEntryError';
  constructor(readonly entries: readonly BadHostEntry[]) {
    const lines = entries.map(
      ({ source, line, entry, problem, offset }) =>
        `${source}:${line}: bad host entry ${JSON.stringify(entry)}: ${problem}` +
        (offset === undefined ? '' : `\n    ${entry}\n    ${' '.repeat(offset)}^`),
    );
    super(lines.length === 1 ? (lines[0] as string) : `${lines.length} bad host entries:\n${lines.map((line) => `  ${line}`).join('\n')}`, {
      hint: 'an entry is [user@]host[:port] or [user@][v6addr]:port, and a host may hold ranges as in web[01-40] or db[1-3,7]; nothing was run',
    });
  }
}

/** `receive --host H` names a host that none of the jobs ran on. */
export class HostNotInJobError extends UsageError {
  override name = 'HostNotInJobError';
  constructor(
    readonly host: string,
    readonly jobIds: readonly number[],
    /** The hosts the jobs did run on, as written in their host lists. */
    readonly hosts: readonly string[],
  ) {
    const jobs = jobIds.length === 1 ? `job ${jobIds[0]}` : `jobs ${jobIds.join(', ')}`;
    const shown = hosts.slice(0, 10).join(', ') + (hosts.length > 10 ? `, and ${hosts.length - 10} more` : '');
    super(`no host of ${jobs} matches ${JSON.stringify(host)}`, {
      hint: hosts.length === 0 ? `${jobs} ran on no host` : `give one of its hosts: ${shown}`,
    });
  }
}

/** A job id or name that matches no job. */
export class JobNotFoundError extends UsageError {
  override name = 'JobNotFoundError';
  constructor(readonly selector: string) {
    super(`no job with ${/^\d+$/.test(selector) ? 'id' : 'name'} ${selector}`, {
      hint: "'fleet get' lists the jobs there are",
    });
  }
}

/** A child job addressed where only its parent may be. */
export class ChildJobError extends UsageError {
  override name = 'ChildJobError';
  constructor(
    readonly jobId: number,
    readonly parentId: number,
  ) {
    super(`job ${jobId} is a child of job ${parentId} and cannot be removed on its own`, {
      hint: `remove job ${parentId} instead`,
    });
  }
}

/** An operation refused because of a job's state (for example removing a running job). */
export class JobStateError extends FleetError {
  override name = 'JobStateError';
  constructor(
    message: string,
    readonly jobId: number,
    options: { hint?: string } = {},
  ) {
    super(message, options);
  }
}

/**
 * `invoke --rerun-failed` found the job to rerun is not what this user
 * signed (changed in Redis): nothing is launched.
 */
export class RerunRefused extends FleetError {
  override name = 'RerunRefused';
  constructor(
    readonly jobId: number,
    /** What was found changed. */
    readonly why: string,
  ) {
    super(`refused to rerun job ${jobId}: ${why}`, {
      hint: "nothing was run; check who can write to fleet's Redis, and start the command again with fleet invoke if you meant it",
    });
  }
}

/** Redis could not be reached or started. */
export class RedisUnavailableError extends FleetError {
  override name = 'RedisUnavailableError';
}

/**
 * Redis refused a write because it is full (maxmemory reached under
 * `noeviction`): nothing new can be stored until memory is freed. `fill`
 * says how full, when Redis said (`maxmemory 30 MiB, used 29.9 MiB`).
 */
export class RedisOutOfMemoryError extends FleetError {
  override name = 'RedisOutOfMemoryError';
  constructor(
    readonly fill: string | null,
    cause?: unknown,
  ) {
    super(`Redis is out of memory${fill === null ? '' : ` (${fill})`}: nothing new can be stored`, {
      hint: 'free memory with fleet receive or fleet remove of finished jobs, or raise maxmemory',
      cause,
    });
  }
}

/** No agent was alive and none could be started. */
export class AgentUnavailableError extends FleetError {
  override name = 'AgentUnavailableError';
}

/** `wait --timeout` ran out before the jobs finished. */
export class WaitTimeoutError extends FleetError {
  override name = 'WaitTimeoutError';
  constructor(
    readonly seconds: number,
    readonly pendingIds: readonly number[],
  ) {
    super(`timed out after ${seconds}s; still running: ${pendingIds.map((id) => `job ${id}`).join(', ')}`, {
      hint: 'the jobs keep running; wait again or stop them',
    });
  }
}

/**
 * A file fleet was told to read cannot be read. `what` names it as the user
 * knows it ("the hosts file", "the script"); the message says why in words,
 * `code` keeps the system's reason (`ENOENT`, `EACCES`).
 */
export class FileReadError extends UsageError {
  override name = 'FileReadError';
  readonly code: string | undefined;
  constructor(
    readonly what: string,
    readonly path: string,
    cause: unknown,
    options: { hint?: string } = {},
  ) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const why = code === 'ENOENT' ? 'no such file' : cause instanceof Error ? cause.message : String(cause);
    super(`cannot read ${what} ${path}: ${why}`, { ...options, cause });
    this.code = code;
  }
}

/**
 * `--stdin` was given more than FLEET_MAX_STDIN: refused before anything is
 * stored or run.
 */
export class StdinTooLargeError extends UsageError {
  override name = 'StdinTooLargeError';
  constructor(readonly capBytes: number) {
    super(`standard input is larger than FLEET_MAX_STDIN (${formatBytes(capBytes)}); nothing was run`, {
      hint: 'set FLEET_MAX_STDIN (as 64M) to take more, or copy a large file to the hosts first and read it there',
    });
  }
}

/**
 * Thrown by `parseHostEntry` for text that is not `[user@]host[:port]`; the
 * message is the problem alone, and the caller adds where the entry came from
 * (see {@link HostEntryError}).
 */
export class InvalidHostEntry extends FleetError {
  override name = 'InvalidHostEntry';
  constructor(
    readonly entry: string,
    readonly problem: string,
  ) {
    super(problem);
  }
}

/** A node that cannot take an agent, or an entry deploy is not for; the message says why and what to do. */
export class DeployRefused extends FleetError {
  override name = 'DeployRefused';
  constructor(
    message: string,
    /** The host entry refused, when the refusal is about one. */
    readonly entry: string | null = null,
  ) {
    super(message);
  }
}

/** A command fleet runs on a node for its own purposes (deploy's steps) failed there. */
export class RemoteStepError extends FleetError {
  override name = 'RemoteStepError';
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    super(`${command.split('\n')[0]?.slice(0, 60)}… failed (exit ${exitCode}): ${output}`);
  }
}

/** Why an SSH connection could not be made: the kinds a person (and a retry) can tell apart. */
export type SshConnectFailure =
  | 'refused'
  | 'unreachable'
  | 'timeout'
  | 'unresolved'
  | 'reset'
  | 'dropped-before-handshake'
  | 'authentication'
  | 'host-key'
  | 'no-common-algorithm'
  | 'shutting-down'
  /** A jump host would not forward to the next hop (sshd's AllowTcpForwarding or PermitOpen). */
  | 'forward-prohibited'
  /** A ProxyCommand ended before the SSH handshake was done. */
  | 'proxy-command'
  /** ssh_config asks for something that cannot be done (a malformed jump host, a loop of jump hosts). */
  | 'configuration'
  | 'other';

/** Where on a route of jump hosts an SSH connection failed. */
export interface SshRouteFailure {
  /** The jump host (as written in ProxyJump) that could not be reached; null when the failed host is the one asked for. */
  jumpHost?: string | null;
  /** The jump hosts the failed connection went through, in order; empty when it was direct. */
  via?: readonly string[];
}

/**
 * An SSH connection that could not be made, with where to and why, in words a
 * person understands. Behind jump hosts the message names the hop: `jump host
 * bastion1: connection refused`, `via bastion1: host key mismatch ...`.
 */
export class SshConnectError extends FleetError {
  override name = 'SshConnectError';
  /** Why, without the route: what the host that failed would have said if reached directly. */
  readonly reason: string;
  readonly jumpHost: string | null;
  readonly via: readonly string[];
  constructor(
    reason: string,
    /** The host that failed: the jump host's address when it is a jump host that failed. */
    readonly host: string,
    readonly port: number,
    readonly kind: SshConnectFailure,
    options: { cause?: unknown } & SshRouteFailure = {},
  ) {
    const jumpHost = options.jumpHost ?? null;
    const via = options.via ?? [];
    super(routeFailureMessage(reason, jumpHost, via), options.cause === undefined ? {} : { cause: options.cause });
    this.reason = reason;
    this.jumpHost = jumpHost;
    this.via = via;
  }
}

/**
 * A connection failure's message, naming where on the route it happened:
 * `jump host b: REASON` when a jump host could not be reached (`jump host b
 * via a: ...` when b itself is behind a), `via a,b: REASON` when the host
 * behind them failed.
 */
function routeFailureMessage(reason: string, jumpHost: string | null, via: readonly string[]): string {
  const route = via.length === 0 ? '' : `via ${via.join(',')}`;
  if (jumpHost !== null) return `jump host ${jumpHost}${route === '' ? '' : ` ${route}`}: ${reason}`;
  return route === '' ? reason : `${route}: ${reason}`;
}

/** A ProxyJump hop that is not `[user@]host[:port]` or `ssh://[user@]host[:port]`. */
export class InvalidJumpHost extends FleetError {
  override name = 'InvalidJumpHost';
  constructor(
    readonly hop: string,
    readonly problem: string,
  ) {
    super(`bad ProxyJump host ${JSON.stringify(hop)}: ${problem}`, {
      hint: 'a jump host is [user@]host[:port] or ssh://[user@]host[:port], several separated by commas',
    });
  }
}

/**
 * A signal ended a command that was cleaning up after itself (a synchronous
 * `invoke` stops and removes its job first). SIGHUP, the terminal going away,
 * is taken as SIGINT is.
 */
export class InterruptedError extends FleetError {
  override name = 'InterruptedError';
  constructor(readonly signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP') {
    super(`interrupted by ${signal}`);
  }
}

/**
 * What a command printed had nowhere to go: its standard output was closed
 * under it (the reader of a pipe went away, as with `| head`). `code` is the
 * system's word for it (`EPIPE`).
 */
export class OutputClosedError extends FleetError {
  override name = 'OutputClosedError';
  readonly code: string | undefined;
  constructor(cause?: unknown) {
    super('standard output was closed', cause === undefined ? {} : { cause });
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

/**
 * A host range that does not parse (`web[1-`, `db[3-1]`); `offset` is where
 * in `entry` the fault is (0-based), so the message can point at it.
 */
export class MalformedHostRange extends FleetError {
  override name = 'MalformedHostRange';
  constructor(
    readonly entry: string,
    readonly offset: number,
    readonly problem: string,
  ) {
    super(`${problem} (at offset ${offset})`);
  }
}

/** A selection whose ranges would name more hosts than fleet takes at once; refused before expanding. */
export class HostRangeTooLarge extends UsageError {
  override name = 'HostRangeTooLarge';
  constructor(
    readonly entry: string,
    readonly count: number,
    readonly limit: number,
  ) {
    super(
      `${JSON.stringify(entry)} would name ${count.toLocaleString('en')} hosts, more than the ${limit.toLocaleString('en')} one selection may`,
      {
        hint: `split the hosts across jobs of at most ${limit.toLocaleString('en')} hosts each`,
      },
    );
  }
}

/**
 * An ssh_config that OpenSSH itself would refuse (an unknown keyword without
 * IgnoreUnknown, a bad value, a missing argument, an include cycle), named by
 * file and line as ssh names it.
 */
export class SshConfigError extends UsageError {
  override name = 'SshConfigError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(line > 0 ? `${file} line ${line}: ${problem}` : `${file}: ${problem}`, {
      hint:
        line > 0
          ? '`ssh -G HOST` shows how OpenSSH itself reads that line'
          : 'name an ssh_config file that exists in FLEET_SSH_CONFIG, or unset it',
    });
  }
}

/**
 * A file or directory fleet will not trust or write through: another user
 * owns it, others may read or write it, or it is a link planted where fleet
 * writes. Nothing was read from it or written to it.
 */
export class UnsafePathError extends UsageError {
  override name = 'UnsafePathError';
  constructor(
    readonly path: string,
    /** What is wrong, as the end of a sentence that starts with the path. */
    readonly problem: string,
    hint: string,
  ) {
    super(`${path} ${problem}`, { hint });
  }
}

/**
 * Redis holds another deployment id than the one this side pinned when it
 * first met that Redis: the Redis was replaced, or someone rewrote the id.
 * Fleet then neither creates nor runs jobs there.
 */
export class DeploymentMismatchError extends FleetError {
  override name = 'DeploymentMismatchError';
  constructor(
    readonly endpoint: string,
    readonly prefix: string,
    readonly inRedis: string,
    readonly pinned: string,
    readonly pinFile: string,
  ) {
    super(
      `Redis at ${endpoint} (prefix ${prefix}) says deployment ${inRedis}, but this side pinned deployment ${pinned} when it first used it (${pinFile})`,
      {
        hint: `if that Redis was replaced on purpose, delete ${pinFile} here and the pin of each other controller and agent that uses it, and deploy node agents again (fleet undeploy, then fleet deploy: they were given the old id); if not, someone changed the deployment id in Redis: find out who before running anything`,
      },
    );
  }
}

/**
 * Stored content does not match the manifest a job was signed with: a chunk
 * is missing, or its bytes are not the ones whose hash was signed (someone
 * with write access to Redis changed them), or the whole does not add up.
 * Nothing of it is written anywhere.
 */
export class ContentMismatchError extends FleetError {
  override name = 'ContentMismatchError';
  constructor(
    /** The manifest's SHA-256 of the whole content. */
    readonly contentSha256: string,
    /** The chunk at fault (its signed SHA-256), or null when the whole is. */
    readonly chunkSha256: string | null,
    /** 0-based place of that chunk in the manifest, or null. */
    readonly chunkIndex: number | null,
    /** What is wrong, e.g. `is missing`, `hashes to …`. */
    readonly problem: string,
  ) {
    super(
      chunkSha256 === null
        ? `stored content ${contentSha256} ${problem}: refused, it is not what the job was signed with`
        : `stored chunk ${chunkIndex ?? '?'} (${chunkSha256}) of content ${contentSha256} ${problem}: refused, it is not what the job was signed with`,
    );
  }
}

/** Deploy could not put its files on a node; the reason names the file where it is about one. */
export class NodeUploadError extends FleetError {
  override name = 'NodeUploadError';
  constructor(
    /** What went wrong, e.g. `/home/u/.local/share/fleet/nodes/web1/fleet-agent.mjs: disk full`. */
    readonly reason: string,
    /** How the files were sent. */
    readonly transport: 'sftp' | 'exec',
  ) {
    super(`could not write the agent's files on the node (${transport === 'exec' ? 'over an exec channel' : 'over SFTP'}): ${reason}`);
  }
}
