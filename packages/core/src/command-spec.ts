import { quoteShellWord } from './shell-quote.js';

/** What to run, independent of where it runs. */
export type CommandSpec =
  | {
      kind: 'shell';
      /** A command line for `/bin/sh -c` (locally) or the login shell (over SSH). */
      line: string;
    }
  | {
      kind: 'script';
      /** The script's local file name, for display. */
      name: string;
      /** The script's text, sent to the host and run there. */
      content: string;
      args: string[];
    };

/** Everything an executor needs to run a command for one job. */
export interface RunSpec {
  command: CommandSpec;
  /** Working directory; null means the home directory of the user the command runs as. */
  workdir: string | null;
  env: Record<string, string>;
  /** Per-host limit on the command; null means none. */
  timeoutMs: number | null;
  /** null: the SSH configuration's ConnectTimeout, else 10 s. */
  connectTimeoutMs: number | null;
  /** Output kept per child; the rest is dropped and counted (FLEET_MAX_OUTPUT). */
  maxOutputBytes: number;
}

/** The `command` field of a job: what a person would type to run it. */
export function describeCommand(command: CommandSpec): string {
  if (command.kind === 'shell') return command.line;
  return [command.name, ...command.args].map(quoteShellWord).join(' ');
}

/** True when a script names its own interpreter with `#!`. */
export function hasShebang(content: string): boolean {
  return content.startsWith('#!');
}
