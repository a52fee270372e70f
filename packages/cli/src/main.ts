import { FLEET_VERSION, InterruptedError } from '@fleet/core';
import yargs, { type Argv, type CommandModule } from 'yargs';
import { agentCommand } from './commands/agent.js';
import { agentsCommand } from './commands/agents.js';
import { deployCommand, undeployCommand } from './commands/deploy.js';
import { eventsCommand } from './commands/events.js';
import { getCommand } from './commands/get.js';
import { invokeCommand } from './commands/invoke.js';
import { pullCommand } from './commands/pull.js';
import { pushCommand } from './commands/push.js';
import { keyCommand } from './commands/key.js';
import { receiveCommand } from './commands/receive.js';
import { removeCommand } from './commands/remove.js';
import { serveCommand } from './commands/serve.js';
import { sshConfigCommand } from './commands/ssh-config.js';
import { startCommand, startThreadJobCommand } from './commands/start.js';
import { statusCommand } from './commands/status.js';
import { stopCommand } from './commands/stop.js';
import { waitCommand } from './commands/wait.js';
import { completeFleet, completionCommand, COMPLETION_KEY, COMPLETION_REQUEST } from './completion.js';
import { describeError, exitCodeFor } from './exit-codes.js';
import { forTerminal } from './format/terminal-text.js';
import { StdoutWatch } from './stdout-watch.js';
import { explainUsageFailure, type CommandLineShape } from './usage-failure.js';

/** The `fleet` command line. Errors are turned into messages and exit codes here and nowhere else. */
export async function main(args: string[]): Promise<void> {
  // A TAB asks what may come next on a half-typed line: nothing is refused then, and
  // no command runs (job completion reads Redis, and meanwhile `fleet stop 7<TAB>`
  // must not stop job 7).
  const completing = args.includes(COMPLETION_REQUEST);
  const stdout = new StdoutWatch();
  let failure: unknown;
  try {
    const parser = yargs(args);
    skipHelpCaching(parser);
    parser.scriptName('fleet').parserConfiguration({ 'populate--': true, 'halt-at-non-option': false }).option('redis', {
      type: 'string',
      global: true,
      describe: 'Redis URL (default: FLEET_REDIS_URL, else 127.0.0.1:6379, else a private redis-server)',
    });
    const runnable = <T extends { handler: unknown }>(command: T): T => (completing ? { ...command, handler: () => {} } : command);
    const commands = [
      startCommand,
      startThreadJobCommand,
      invokeCommand,
      pushCommand,
      pullCommand,
      getCommand,
      receiveCommand,
      waitCommand,
      eventsCommand,
      stopCommand,
      removeCommand,
      agentCommand,
      agentsCommand,
      statusCommand,
      serveCommand,
      deployCommand,
      undeployCommand,
      keyCommand,
      sshConfigCommand,
      completionCommand(parser),
    ];
    // Each module is typed for its own arguments, which yargs' overloads cannot take from one array.
    for (const command of commands) parser.command(runnable(command) as unknown as CommandModule);
    await parser
      .completion(COMPLETION_KEY, false, completeFleet)
      .example('$0 invoke -f computers.txt -- uptime', 'run uptime on every host in computers.txt')
      .example('source <($0 completion)', 'in ~/.bashrc or ~/.zshrc: tab-complete commands, flags and jobs')
      .demandCommand(1, 'name a command')
      .strict(!completing)
      .help()
      .version(FLEET_VERSION)
      .wrap(Math.min(110, process.stdout.columns ?? 110))
      .fail((message, error) => {
        // yargs's own YError (`Not enough arguments following: i`) is a usage failure too, not a fault.
        const usage = error === undefined || error.name === 'YError';
        throw usage
          ? explainUsageFailure(message ?? error?.message ?? 'bad command line', args, commandLineShape(parser, commands))
          : error;
      })
      .parseAsync();
  } catch (error) {
    failure = error;
  }
  // Whatever the command was doing, a stdout closed under it ends it as SIGPIPE ends a Unix
  // tool, unless a signal came first.
  if (stdout.closed !== undefined && !(failure instanceof InterruptedError)) failure = stdout.closed;
  if (failure === undefined || completing) return;
  const words = describeError(failure);
  // A message may quote what a host or Redis said.
  if (words !== null) process.stderr.write(`${forTerminal(process.stderr, words)}\n`);
  process.exitCode = exitCodeFor(failure);
}

/** The commands, and the options of the one in hand, as yargs holds them when it refuses a command line. */
function commandLineShape(parser: Argv, commands: readonly { command: string; aliases?: string[] }[]): CommandLineShape {
  const names = new Map<string, string>();
  for (const { command, aliases = [] } of commands) {
    const name = command.split(' ')[0] as string;
    for (const word of [name, ...aliases]) names.set(word, name);
  }
  const options = (
    parser as unknown as { getOptions(): { key: Record<string, unknown>; boolean: string[]; alias: Record<string, string[]> } }
  ).getOptions();
  const booleans = new Set(options.boolean.flatMap((key) => [key, ...(options.alias[key] ?? [])]));
  return { commands: names, runCommands: new Set(['invoke', 'start', 'start-threadjob']), options: Object.keys(options.key), booleans };
}

/**
 * After starting a command's handler, yargs renders the whole help text and caches it, for a
 * help-on-failure that fleet never shows (`.fail()` above throws instead). That rendering is
 * ~20 ms of every run. `--help` renders afresh and is unaffected. This reaches into yargs'
 * internals, so it is a no-op when they are not what it expects.
 */
function skipHelpCaching(parser: Argv): void {
  const internals = (parser as unknown as { getInternalMethods?: () => { getUsageInstance?: () => unknown } }).getInternalMethods?.();
  const usage = internals?.getUsageInstance?.() as { cacheHelpMessage?: () => void } | undefined;
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}
