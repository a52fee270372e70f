import type { CommandSpec, RunSpec, SudoSpec } from './command-spec.js';
import { DEFAULTS } from './defaults.js';
import { UsageError } from './errors.js';
import type { HostEntry } from './host-entry.js';
import type { JobType } from './job.js';
import { validateJobName } from './job-selector.js';

/** What `start` and `invoke` ask for, as the CLI or a library caller gives it. */
export interface JobRequestOptions {
  type: JobType;
  command: CommandSpec;
  /** One child per entry for `remote` jobs; ignored for `process` jobs, which run locally. */
  hosts?: HostEntry[];
  /** @defaultValue `Job<id>` */
  name?: string | undefined;
  /** @defaultValue the home directory of the user the command runs as */
  workdir?: string | undefined;
  /** `K=V` assignments. @defaultValue none */
  env?: readonly string[] | undefined;
  /** Per-host limit on the command, in seconds. @defaultValue none */
  timeoutSeconds?: number | undefined;
  /** @defaultValue ConnectTimeout from the SSH configuration, else 10 */
  connectTimeoutSeconds?: number | undefined;
  /** At most this many children run at once, across all agents. @defaultValue 32 */
  throttle?: number | undefined;
  /**
   * The error budget (`--max-errors`): `N` or `N%` of the hosts. Once more
   * children than that have failed, those not yet started are Stopped.
   * @defaultValue none
   */
  maxErrors?: string | number | undefined;
  /** Rolling waves (`--batch`): `N` or `N%` of the hosts; a wave starts once the one before has finished. @defaultValue none */
  batch?: string | number | undefined;
  /** Output kept per child. @defaultValue 16 MiB */
  maxOutputBytes?: number | undefined;
  /** How long the job is kept once finished. @defaultValue 7 days */
  retentionMs?: number | undefined;
  /** `--sudo [USER]` and `--ask-sudo-pass`. @defaultValue as the login user */
  sudo?: SudoSpec | undefined;
}

/** A job request with every default applied and every value checked. */
export interface JobRequest {
  type: JobType;
  name: string | null;
  hosts: HostEntry[];
  run: RunSpec;
  throttle: number;
  /** How many children may fail before the rest are stopped, or null for no limit. */
  maxErrors: number | null;
  /** How many children make one wave (`--batch`), or null to run them all as the throttle allows. */
  waveSize: number | null;
  retentionMs: number;
}

export function resolveJobRequest(options: JobRequestOptions): JobRequest {
  if (options.command.kind === 'shell' && options.command.line.trim() === '') {
    throw new UsageError('the command is empty', { hint: 'give a command after --, or --script FILE' });
  }
  // JavaScript runs in a thread job (start --thread) or in the children of a fan-out (invoke --thread), on each host's agent.
  if (options.type === 'thread' ? options.command.kind !== 'thread' : options.command.kind === 'thread' && options.type !== 'remote') {
    throw new UsageError('a thread job runs JavaScript (--eval or a module), and only a thread job or an invoke --thread does');
  }
  if (options.command.kind === 'thread' && options.command.code.trim() === '') {
    throw new UsageError('the JavaScript to run is empty', { hint: "give --eval 'return 1 + 1' or --script module.mjs" });
  }
  if (options.command.kind === 'thread' && options.workdir !== undefined) {
    throw new UsageError('a thread job runs inside an agent and has no working directory of its own', {
      hint: 'leave out --workdir, or use a process job',
    });
  }
  const hosts = options.hosts ?? [];
  if (options.type === 'remote' && hosts.length === 0) {
    throw new UsageError('no hosts given', { hint: 'name hosts with -f FILE or -c host1,host2' });
  }
  if (options.workdir !== undefined && options.workdir.trim() === '') throw new UsageError('--workdir cannot be empty');
  if (options.sudo !== undefined) checkSudo(options.sudo, options.command);
  if (options.type !== 'remote' && (options.maxErrors !== undefined || options.batch !== undefined)) {
    throw new UsageError('--max-errors and --batch are for a fan-out over hosts (invoke)');
  }
  return {
    type: options.type,
    name: options.name === undefined ? null : validateJobName(options.name),
    hosts,
    run: {
      command: options.command,
      workdir: options.workdir ?? null,
      env: parseEnvAssignments(options.env ?? []),
      timeoutMs: options.timeoutSeconds === undefined ? null : secondsToMs(options.timeoutSeconds, '--timeout'),
      connectTimeoutMs:
        options.connectTimeoutSeconds === undefined ? null : secondsToMs(options.connectTimeoutSeconds, '--connect-timeout'),
      maxOutputBytes: options.maxOutputBytes ?? DEFAULTS.maxOutputBytes,
      ...(options.sudo === undefined ? {} : { sudo: options.sudo }),
    },
    throttle: options.throttle === undefined ? DEFAULTS.throttle : checkThrottle(options.throttle),
    maxErrors: options.maxErrors === undefined ? null : countOfHosts(options.maxErrors, hosts.length, '--max-errors', 0),
    waveSize: options.batch === undefined ? null : countOfHosts(options.batch, hosts.length, '--batch', 1),
    retentionMs: options.retentionMs ?? DEFAULTS.retentionMs,
  };
}

/** Parses `--env K=V` assignments into a map; the last of a repeated key wins. */
export function parseEnvAssignments(assignments: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    const key = eq === -1 ? assignment : assignment.slice(0, eq);
    if (eq === -1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new UsageError(`--env ${JSON.stringify(assignment)} is not NAME=VALUE`, {
        hint: 'a name is letters, digits and _, not starting with a digit',
      });
    }
    env[key] = assignment.slice(eq + 1);
  }
  return env;
}

/** `--sudo` runs a command line (the wrapper's last step, see remote-sudo.ts). */
function checkSudo(sudo: SudoSpec, command: CommandSpec): void {
  if (command.kind !== 'shell') throw new UsageError('--sudo runs a command line (after --), not a --script or --thread');
  if (sudo.user !== null && !/^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$|^#[0-9]+$/.test(sudo.user)) {
    throw new UsageError(`--sudo ${JSON.stringify(sudo.user)} is not a user name (or #UID)`);
  }
}

function secondsToMs(seconds: number, flag: string): number {
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`${flag} must be a number of seconds above 0`);
  return Math.round(seconds * 1000);
}

function checkThrottle(throttle: number): number {
  if (!Number.isInteger(throttle) || throttle < 1) throw new UsageError('--throttle must be a whole number of at least 1');
  return throttle;
}

/**
 * `N` or `N%` of `hosts`, as a count: a percentage is rounded down, and never
 * below `least` (so `--batch 1%` of 50 hosts is waves of 1).
 */
export function countOfHosts(value: string | number, hosts: number, flag: string, least: number): number {
  const text = String(value).trim();
  const match = /^(\d+)(%?)$/.exec(text);
  if (match === null) throw new UsageError(`${flag} must be a whole number or a percentage, like 5 or 10%; got ${JSON.stringify(text)}`);
  const number = Number(match[1]);
  if (match[2] === '%') {
    if (number > 100) throw new UsageError(`${flag} cannot be over 100%`);
    return Math.max(least, Math.floor((hosts * number) / 100));
  }
  if (number < least) throw new UsageError(`${flag} must be at least ${least}`);
  return number;
}
