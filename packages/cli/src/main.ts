import { UsageError } from '@fleet/core';
import yargs from 'yargs';
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
    await yargs(args)
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
