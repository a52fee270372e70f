import type { Argv } from 'yargs';
import { withContext, type GlobalArgs } from '../context.js';
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
    const rows = [
      ['Id', 'Host', 'Pid', 'Version', 'Concurrency', 'Running', 'LastHeartbeat'],
      // What an agent registered is Redis's to say: escaped on a terminal.
      ...agents.map((agent) =>
        [agent.id, agent.host, String(agent.pid), agent.version, String(agent.concurrency), String(agent.running), agent.heartbeatAt].map(
          (cell) => forTerminal(process.stdout, cell),
        ),
      ),
    ];
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
    for (const row of rows)
      process.stdout.write(
        `${row
          .map((cell, column) => cell.padEnd(widths[column] ?? 0))
          .join('  ')
          .trimEnd()}\n`,
      );
  },
};
