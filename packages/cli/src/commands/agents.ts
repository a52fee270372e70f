import type { Argv } from 'yargs';
import { withContext, type GlobalArgs } from '../context.js';
import { formatAgentTable } from '../format/agent-table.js';
import { forTerminal, jsonForTerminal } from '../format/terminal-text.js';

export const agentsCommand = {
  command: 'agents',
  describe: 'List live agents',
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs.option('json', { type: 'boolean', default: false, describe: 'Print a JSON array' }).example('$0 agents', 'who is taking jobs'),
  handler: async (argv: GlobalArgs & { json: boolean }) => {
    const agents = await withContext(argv, ({ store }) => store.agents.list());
    if (argv.json) {
      process.stdout.write(`${jsonForTerminal(process.stdout, JSON.stringify(agents))}\n`);
      return;
    }
    // What an agent registered is Redis's to say: escaped on a terminal.
    process.stdout.write(formatAgentTable(agents, Date.now(), (cell) => forTerminal(process.stdout, cell)));
  },
};
