import { formatPublicKey } from '@fleet/core';
import { keyComment, loadOrCreateSigningKey } from '@fleet/agent/signing-key-file';
import type { Argv } from 'yargs';
import { settingsFrom, type GlobalArgs } from '../context.js';

export const keyCommand = {
  command: 'key',
  describe: "Print this user's public signing key (made on first use): agents run only jobs signed by a key they trust",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs.example('$0 key >> ~/.config/fleet/trusted-keys', "on an agent's machine: trust this user's jobs (deploy does it for you)"),
  handler: async (argv: GlobalArgs) => {
    const settings = settingsFrom(argv);
    const key = await loadOrCreateSigningKey(settings.signingKeyPath);
    process.stdout.write(`${formatPublicKey(key.publicKey, keyComment())}\n`);
  },
};
