import { combineHostLists, formatSshGLines, parseComputerNames } from '@fleet/core';
import { localSshContext, sshConfigFiles, SshConfigResolver } from '@fleet/agent';
import type { Argv } from 'yargs';
import type { GlobalArgs } from '../context.js';

export const sshConfigCommand = {
  command: 'ssh-config <hosts..>',
  describe: "Print what fleet resolved from ssh_config for each host, in `ssh -G`'s form (the keywords fleet acts on)",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .positional('hosts', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'Host entries: [user@]host[:port], ranges such as web[1-3]',
      })
      .example('$0 ssh-config web1', 'why web1 does not connect: user, host name, port, keys, jump host')
      .example('$0 ssh-config deploy@db[1-3]:2222', 'three hosts, a blank line between them'),
  handler: async (argv: GlobalArgs & { hosts: string[] }) => {
    const entries = combineHostLists(argv.hosts.map((list, index) => () => parseComputerNames(list, `argument ${index + 1}`)));
    const resolver = new SshConfigResolver((warning) =>
      process.stderr.write(`fleet: warning: ${warning.file} line ${warning.line}: ${warning.message}\n`),
    );
    const files = sshConfigFiles(process.env);
    const local = localSshContext(process.env);
    const blocks: string[] = [];
    for (const entry of entries) {
      const { sshG, connectErrors } = await resolver.resolve({ host: entry.host, user: entry.user, port: entry.port }, files, local);
      for (const error of connectErrors)
        process.stderr.write(`fleet: warning: ${entry.raw}: ${error.message} (a connection fails on it)\n`);
      blocks.push(formatSshGLines(sshG));
    }
    process.stdout.write(blocks.join('\n'));
  },
};
