import { UsageError } from '@fleet/core';
import yargs, { type Argv } from 'yargs';
import { agentCommand } from './commands/agent.js';
import { agentsCommand } from './commands/agents.js';
import { deployCommand, undeployCommand } from './commands/deploy.js';
import { getCommand } from './commands/get.js';
import { invokeCommand } from './commands/invoke.js';
import { keyCommand } from './commands/key.js';
import { receiveCommand } from './commands/receive.js';
import { removeCommand } from './commands/remove.js';
import { startCommand, startThreadJobCommand } from './commands/start.js';
import { stopCommand } from './commands/stop.js';
import { waitCommand } from './commands/wait.js';
import { describeError, exitCodeFor } from './exit-codes.js';

/** The `fleet` command line. Errors are turned into messages and exit codes here and nowhere else. */
export async function main(args: string[]): Promise<void> {
  try {
    const parser = yargs(args);
    skipHelpCaching(parser);
    await parser
      .scriptName('fleet')
      .parserConfiguration({ 'populate--': true, 'halt-at-non-option': false })
      .option('redis', { type: 'string', global: true, describe: 'Redis URL (default: FLEET_REDIS_URL, else 127.0.0.1:6379, else a private redis-server)' })
      .command(startCommand)
      .command(startThreadJobCommand)
      .command(invokeCommand)
      .command(getCommand)
      .command(receiveCommand)
      .command(waitCommand)
      .command(stopCommand)
      .command(removeCommand)
      .command(agentCommand)
      .command(agentsCommand)
      .command(deployCommand)
      .command(undeployCommand)
      .command(keyCommand)
      .demandCommand(1, 'name a command; fleet --help lists them')
      .strict()
      .help()
      .version(false)
      .wrap(Math.min(110, process.stdout.columns ?? 110))
      .fail((message, error) => {
        throw error ?? new UsageError(message ?? 'bad command line', { hint: 'fleet --help shows the usage' });
      })
      .parseAsync();
  } catch (error) {
    process.stderr.write(`${describeError(error)}\n`);
    process.exitCode = exitCodeFor(error);
  }
}

/**
 * After starting a command's handler, yargs renders the whole help text and caches it, for a
 * help-on-failure that fleet never shows (`.fail()` above throws instead). That rendering is
 * ~20 ms of every run. `--help` renders afresh and is unaffected. This reaches into yargs'
 * internals, so it is a no-op when they are not what it expects.
 */
function skipHelpCaching(parser: Argv): void {
  const internals = (parser as unknown as { getInternalMethods?: () => { getUsageInstance?: () => unknown } })
    .getInternalMethods?.();
  const usage = internals?.getUsageInstance?.() as { cacheHelpMessage?: () => void } | undefined;
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}
