import { readFile } from 'node:fs/promises';
import { sshConfigFiles } from '@fleet/agent';
import { isSafeToComplete, parseSshConfigFile } from '@fleet/core';
import type { Argv } from 'yargs';
import { withContext, type GlobalArgs } from './context.js';

/** The flag the completion script calls fleet with, for each TAB (yargs' own). */
export const COMPLETION_REQUEST = '--get-yargs-completions';

/**
 * Where yargs' completion lives, hidden: `fleet completion` is a command of our
 * own, so that its --help shows an example (yargs' would print the script).
 */
export const COMPLETION_KEY = 'completion-script';

/** `fleet completion`: prints the script that makes the shell ask fleet what a TAB completes. */
export function completionCommand(parser: Argv) {
  return {
    command: 'completion',
    describe: 'Print a bash completion script (a zsh one under zsh)',
    builder: (yargs: Argv) =>
      yargs
        .example('source <($0 completion)', 'in ~/.bashrc (or ~/.zshrc): TAB completes commands, flags and jobs')
        .example('$0 completion > /etc/bash_completion.d/fleet', 'for every user'),
    // yargs' typings leave out the two arguments its showCompletionScript takes: the name, and the command in the install hint.
    handler: () =>
      (parser as unknown as { showCompletionScript(name: string, command: string): void }).showCompletionScript('fleet', 'completion'),
  };
}

/** The commands (and their PowerShell-style aliases) whose arguments are jobs. */
const JOB_COMMANDS = new Set([
  'get',
  'get-job',
  'receive',
  'receive-job',
  'wait',
  'wait-job',
  'events',
  'stop',
  'stop-job',
  'remove',
  'remove-job',
]);

type Defaults = (onCompleted: (error: Error | null, completions: string[] | undefined) => void) => void;

/**
 * Shell completion (`fleet completion` prints the bash or zsh script, after
 * $SHELL): commands and flags as yargs knows them, and for the commands that
 * take jobs, the ids and names of the jobs in Redis. Completion never starts
 * the embedded Redis, and a Redis that does not answer only means no jobs are
 * offered: a TAB never prints an error. `ssh-config` is offered the hosts
 * the user's ssh_config names. Only words safe to put on a command line as
 * they are get offered (see {@link isSafeToComplete}): a job's name comes
 * from Redis, which someone else may have written.
 */
export function completeFleet(
  current: string,
  argv: GlobalArgs & { _: (string | number)[] },
  defaults: Defaults,
  done: (completions: string[]) => void,
): void {
  defaults((_error, completions) => {
    const offered = completions ?? [];
    // The words as typed: the program's name, then the command.
    const command = String(argv._[1] ?? '');
    if (command === 'ssh-config' && !current.startsWith('-')) {
      return void sshConfigHosts().then((hosts) => done([...offered, ...offerable(hosts, current)]));
    }
    if (!JOB_COMMANDS.has(command) || current.startsWith('-')) return done(offered);
    void jobNames(argv)
      .catch(() => [])
      .then((jobs) => done([...offered, ...offerable(jobs, current)]));
  });
}

function offerable(words: string[], current: string): string[] {
  return words.filter((word) => word.startsWith(current) && isSafeToComplete(word));
}

/** The hosts the user's ssh_config names outright (`Host` patterns without wildcards or `!`). */
async function sshConfigHosts(): Promise<string[]> {
  const file = sshConfigFiles(process.env).userFile;
  const text = await readFile(file, 'utf8').catch(() => '');
  const names = parseSshConfigFile(text, file)
    .filter((directive) => directive.keyword === 'host')
    .flatMap((directive) => directive.args.filter((pattern) => !/[*?!]/.test(pattern)));
  return [...new Set(names)];
}

async function jobNames(args: GlobalArgs): Promise<string[]> {
  return withContext(
    args,
    async ({ shards }) =>
      (await Promise.all((await shards.all()).map((store) => store.jobs.roots())))
        .flat()
        .flatMap((job) => [String(job.view.id), job.view.name]),
    undefined,
    { startEmbedded: false },
  );
}
