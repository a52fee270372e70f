import type { Argv } from 'yargs';
import { describeTarget, redisSettingsWarnings } from '@fleet/store';
import { isEmbeddedTarget, withContext, type GlobalArgs } from '../context.js';
import { formatAgentTable } from '../format/agent-table.js';
import { forTerminal, jsonForTerminal } from '../format/terminal-text.js';

export const statusCommand = {
  command: 'status',
  describe: 'Show the Redis and prefix in use, and every live agent',
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object: redis, prefix, agents' })
      .example('$0 status', 'which Redis this shell uses, and who takes its jobs'),
  handler: async (argv: GlobalArgs & { json: boolean }) => {
    const status = await withContext(argv, async ({ store, target, settings }) => ({
      // Password hidden: status is for pasting into a bug report.
      redis: describeTarget(target),
      prefix: store.keys.prefix,
      // What is wrong with the Redis's settings for fleet (eviction, no AOF); empty when nothing is.
      redisWarnings: await redisSettingsWarnings(store.client, { embedded: isEmbeddedTarget(settings, target) }),
      agents: await store.agents.list(),
    }));
    if (argv.json) {
      process.stdout.write(`${jsonForTerminal(process.stdout, JSON.stringify(status))}\n`);
      return;
    }
    const show = (cell: string) => forTerminal(process.stdout, cell);
    process.stdout.write(`Redis:  ${show(status.redis)}\n`);
    for (const warning of status.redisWarnings) process.stdout.write(`        warning: ${show(warning)}\n`);
    process.stdout.write(`Prefix: ${show(status.prefix)}\nAgents: ${status.agents.length}\n`);
    if (status.agents.length > 0) process.stdout.write(`\n${formatAgentTable(status.agents, Date.now(), show)}`);
  },
};
