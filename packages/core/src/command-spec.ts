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
    };

/** A command that runs on a host: everything but thread jobs, which run inside an agent. */
export type HostCommandSpec = Exclude<CommandSpec, { kind: 'thread' }>;

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
  return [command.name, ...command.args].map(quoteShellWord).join(' ');
}

/** Narrows a run spec to a command that runs on a host, or null for a thread job. */
export function hostRunSpec(spec: RunSpec): RunSpec<HostCommandSpec> | null {
  const command = spec.command;
  return command.kind === 'thread' ? null : { ...spec, command };
}

/** True when a script names its own interpreter with `#!`. */
export function hasShebang(content: string): boolean {
  return content.startsWith('#!');
}
