import type { ContentManifest } from './content-manifest.js';
import { quoteShellWord } from './shell-quote.js';

/** What to run, independent of where it runs. */
export type CommandSpec =
  | {
      kind: 'shell';
      /** A command line for the user's shell, `$SHELL -c` as sshd runs it (locally the agent user's shell). */
      line: string;
    }
  | {
      kind: 'script';
      /** The script's local file name, for display. */
      name: string;
      /** The script's text, sent to the host and run there. */
      content: string;
      args: string[];
    }
  | {
      kind: 'thread';
      /** `eval`: the body of an async function; `module`: an ES module whose default export is one. */
      source: 'eval' | 'module';
      /** The module's file name, for display (empty for `eval`). */
      name: string;
      code: string;
      args: string[];
    }
  | PushCommandSpec
  | PullCommandSpec;

/**
 * One entry of a push: a file, a directory or a symbolic link, by its name
 * relative to the tree pushed (`conf`, `conf/app.ini`: the first component
 * is the base name of a LOCAL argument).
 */
export type PushEntry = {
  path: string;
  /** Permission bits (as `chmod` takes them), applied with `-p`. */
  mode: number;
  /** Modification time, whole seconds since the epoch, applied with `-p`. */
  mtime: number;
} & ({ type: 'file'; manifest: ContentManifest } | { type: 'dir' } | { type: 'symlink'; target: string });

/**
 * `fleet push`: files to each host. The content travels as chunks in Redis
 * (see ChunkStore); the manifests, names, destination and options are here,
 * in the signed spec.
 */
export interface PushCommandSpec {
  kind: 'push';
  /** Parents before their children, in the order they are written. */
  entries: PushEntry[];
  /** Where they go: an absolute path, or `~/…` (the login user's home). */
  dest: string;
  recursive: boolean;
  /** Keep mode and modification time (`-p`). */
  preserve: boolean;
}

/**
 * `fleet pull`: files from each host. The host sends them as a tar stream;
 * the agent stores their content as chunks and a manifest of entries per
 * child (see PulledStore); the CLI writes them out under LOCAL_DIR/HOST.
 */
export interface PullCommandSpec {
  kind: 'pull';
  /** What to bring back: absolute paths, or `~/…` (the login user's home). */
  paths: string[];
  recursive: boolean;
  /** Keep mode and modification time (`-p`) when written out. */
  preserve: boolean;
  /** The most one host may send, its tar stream's bytes (FLEET_MAX_PULL_BYTES). */
  maxBytes: number;
}

/** A command that runs on a host: a command line or a script (thread jobs run inside an agent; a push or a pull is no command). */
export type HostCommandSpec = Exclude<CommandSpec, { kind: 'thread' } | { kind: 'push' } | { kind: 'pull' }>;

/** Everything an executor needs to run a command for one job. */
export interface RunSpec<Command extends CommandSpec = CommandSpec> {
  command: Command;
  /** Working directory; null means the home directory of the user the command runs as. */
  workdir: string | null;
  env: Record<string, string>;
  /** Per-host limit on the command; null means none. */
  timeoutMs: number | null;
  /** null: the SSH configuration's ConnectTimeout, else 10 s. */
  connectTimeoutMs: number | null;
  /** Output kept per child; the rest is dropped and counted (FLEET_MAX_OUTPUT). */
  maxOutputBytes: number;
  /**
   * `--stdin`: the CLI's standard input, stored once for the job in the chunk
   * store, which every host's command reads as its standard input. Signed
   * with the rest of the spec, so a chunk changed in Redis is refused. Absent
   * (never `null`, so that a job without it is stored as before): the
   * command's standard input is closed.
   */
  stdin?: ContentManifest | undefined;
  /** `--sudo`: run the command through sudo (absent: as the login user). */
  sudo?: SudoSpec;
}

/** `invoke --sudo [USER]`, `--ask-sudo-pass`: signed with the rest of the spec; the password itself never is (see sealing.ts). */
export interface SudoSpec {
  /** Whom to run as; null: sudo's default (root). */
  user: string | null;
  /** Whether sudo gets the password the CLI asked for; without it sudo runs with `-n` and never asks. */
  askPassword: boolean;
}

/** The `command` field of a job: what a person would type to run it. */
export function describeCommand(command: CommandSpec): string {
  if (command.kind === 'shell') return command.line;
  if (command.kind === 'thread' && command.source === 'eval') return command.code;
  if (command.kind === 'push') return describePush(command);
  if (command.kind === 'pull') return describePull(command);
  return [command.name, ...command.args].map(quoteShellWord).join(' ');
}

/** `push [-r] [-p] NAME... DEST`: the top-level names pushed, as a person would have typed them. */
function describePush(command: PushCommandSpec): string {
  const flags = [...(command.recursive ? ['-r'] : []), ...(command.preserve ? ['-p'] : [])];
  const tops = command.entries.filter((entry) => !entry.path.includes('/')).map((entry) => entry.path);
  return ['push', ...flags, ...[...tops, command.dest].map(quoteShellWord)].join(' ');
}

/** `pull [-r] [-p] REMOTE...`: where the files land is the CLI's business, not the job's. */
function describePull(command: PullCommandSpec): string {
  const flags = [...(command.recursive ? ['-r'] : []), ...(command.preserve ? ['-p'] : [])];
  return ['pull', ...flags, ...command.paths.map(quoteShellWord)].join(' ');
}

/** Narrows a run spec to a command that runs on a host, or null for a thread job, a push or a pull. */
export function hostRunSpec(spec: RunSpec): RunSpec<HostCommandSpec> | null {
  const command = spec.command;
  return command.kind === 'thread' || command.kind === 'push' || command.kind === 'pull' ? null : { ...spec, command };
}

/** Narrows a run spec to a pull, or null. */
export function pullRunSpec(spec: RunSpec): RunSpec<PullCommandSpec> | null {
  const command = spec.command;
  return command.kind === 'pull' ? { ...spec, command } : null;
}

/** Narrows a run spec to a push, or null. */
export function pushRunSpec(spec: RunSpec): RunSpec<PushCommandSpec> | null {
  const command = spec.command;
  return command.kind === 'push' ? { ...spec, command } : null;
}

/** True when a script names its own interpreter with `#!`. */
export function hasShebang(content: string): boolean {
  return content.startsWith('#!');
}
