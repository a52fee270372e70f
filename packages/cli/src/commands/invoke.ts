import { checkStdinUse, quoteShellWord, resolveJobRequest, UsageError, type JobRequest, type JobRequestOptions } from '@fleet/core';
import { preloadQueueLibrary } from '@fleet/store';
import type { Argv } from 'yargs';
import { readCommandInput } from '../command-input.js';
import { commandFromArgs, hostFlags, hostsFromArgs, threadCommand } from '../command-args.js';
import { settingsFrom, type GlobalArgs } from '../context.js';
import { ownJobOptions, runFanOut, type FanOutJobArgs } from '../fan-out-run.js';
import { outputFlags } from '../output/output-sink.js';
import { rerunFailedRequest } from '../rerun-failed.js';
import { GROUPS_FILES_HELP } from '../host-groups-files.js';
import { readSudoPassword } from '../sudo-password.js';

export interface InvokeArgs extends FanOutJobArgs {
  workdir?: string;
  env?: string[];
  script?: string;
  thread?: boolean;
  eval?: string;
  argv?: boolean;
  stdin?: boolean;
  sudo?: string;
  'ask-sudo-pass'?: boolean;
  '--'?: string[];
}

export const invokeCommand = {
  command: 'invoke',
  aliases: ['invoke-command'],
  describe: 'Run a command on many hosts, one child job per host (Invoke-Command)',
  builder: (yargs: Argv<GlobalArgs>) =>
    outputFlags(hostFlags(yargs.usage('$0 invoke (-f FILE | -c HOSTS) [options] (--script FILE | -- CMD [ARG...])')))
      .option('as-job', { type: 'boolean', default: false, describe: 'Return the job at once instead of waiting (Invoke-Command -AsJob)' })
      .option('name', { type: 'string', describe: 'Name of the job (default Job<id>)' })
      .option('throttle', { alias: 'p', type: 'number', describe: 'At most this many hosts at once (default 32; -p: pssh)' })
      .option('max-errors', { type: 'string', describe: 'Once more than N (or N%) hosts have failed, stop those not yet started' })
      .option('batch', { type: 'string', describe: 'Run in waves of N (or N%) hosts, each once the one before has finished' })
      .option('quiet', { type: 'boolean', default: false, describe: 'No progress line on the terminal' })
      .option('rerun-failed', {
        type: 'string',
        describe: "Run job JOB's command again, as a new job, on exactly the hosts that failed in it",
      })
      .option('timeout', {
        alias: 't',
        type: 'number',
        describe: 'Fail a host whose command runs longer than this many seconds (-t: pssh)',
      })
      .option('connect-timeout', { type: 'number', describe: 'Give up connecting to a host after this many seconds (default 10)' })
      .option('workdir', { type: 'string', describe: 'Working directory on each host (default: the home directory)' })
      .option('env', { type: 'string', array: true, nargs: 1, describe: 'Set an environment variable, K=V (repeatable)' })
      .option('script', {
        alias: 'file-path',
        type: 'string',
        describe: 'Send this local script and run it on each host (with --thread: an ES module whose default export is an async function)',
      })
      .option('thread', {
        type: 'boolean',
        describe: "Run JavaScript in a worker thread of each host's own agent (fleet deploy), or of this machine's for localhost",
      })
      .option('eval', { type: 'string', describe: 'With --thread: the body of an async function of { args, emit }' })
      .option('argv', {
        type: 'boolean',
        describe:
          'Quote each word after -- so that it arrives as one argument, byte for byte, instead of joining the words with spaces as ssh does',
      })
      .option('stdin', {
        type: 'boolean',
        describe: "Read standard input to its end and give it to every host's command (pssh -I); without it, the command's input is closed",
      })
      .option('json', { type: 'boolean', default: false, describe: 'JSON: the job with --as-job, else one output record a line' })
      .option('sudo', {
        type: 'string',
        describe: "Run the command through sudo as USER (--sudo alone: root), as USER's login shell runs it",
      })
      .option('ask-sudo-pass', {
        type: 'boolean',
        describe:
          "With --sudo: ask for sudo's password once, without echo (no terminal: FLEET_SUDO_PASSWORD_FILE); sealed to the agents, never stored",
      })
      .example('$0 invoke -f computers.txt -- uname -a', 'run uname -a on every host and print HOST: line')
      .example('$0 invoke -c web1,web2 --as-job --name patch -- apt-get -y upgrade', 'start a fan-out and come back later')
      .example('$0 invoke -f computers.txt --group -- cat /etc/debian_version', 'each distinct answer once: web[1-3,7] (4)')
      .example(
        '$0 invoke -f computers.txt --batch 10% --max-errors 2 -- ./upgrade.sh',
        'a rolling upgrade that halts after a third failure',
      )
      .example('$0 invoke --rerun-failed 7', 'once fixed, run job 7 again on the hosts where it failed')
      .example('$0 invoke -i hosts.ini -c @web -x @canary -- uptime', 'the hosts of an Ansible group, less another group')
      .example('$0 invoke -f computers.txt --stdin -- tee -a .ssh/authorized_keys < key.pub', "append a key to every host's file")
      .example('$0 invoke -f computers.txt --sudo --ask-sudo-pass -- apt-get -y upgrade', 'as root, asking for the sudo password once')
      .epilog(GROUPS_FILES_HELP),
  handler: async (argv: InvokeArgs) => {
    preloadQueueLibrary().catch(() => {}); // dispatching needs BullMQ: load it meanwhile (a failure shows there)
    const rerun = argv['rerun-failed'];
    const settings = settingsFrom(argv);
    const own = ownJobOptions(argv, settings);
    // Nothing else may read standard input that --stdin gives to the command (-f - would, first).
    if (argv.stdin) checkStdinUse({ hostsFile: argv['hosts-file'], inventories: argv.inventory, script: argv.script, thread: argv.thread });
    // Bad input is refused before anything is created: a fresh request is resolved here, a rerun once its job is read.
    const request = rerun === undefined ? await requestFromArgs(argv, own, settings.maxOutputBytes) : null;
    const conflicts = rerun === undefined ? [] : rerunConflicts(argv);
    if (conflicts.length > 0)
      throw new UsageError(`--rerun-failed takes the hosts and the command from the job; leave out ${conflicts.join(', ')}`);
    if (argv['ask-sudo-pass'] === true && argv.sudo === undefined && rerun === undefined) {
      throw new UsageError('--ask-sudo-pass goes with --sudo', { hint: 'fleet invoke HOSTS --sudo --ask-sudo-pass -- CMD' });
    }
    if (argv.stdin && argv.sudo !== undefined) {
      throw new UsageError('--sudo does not take --stdin yet', {
        hint: 'push the input as a file (fleet push), then read it under --sudo',
      });
    }
    // Read whole, under the cap, before anything is stored: past it, nothing is made (exit 2).
    const input = argv.stdin ? await readCommandInput(settings.maxStdinBytes) : null;
    // Asked before anything is made: a missing password is bad input.
    let sudoPassword = request?.run.sudo?.askPassword === true ? await readSudoPassword() : undefined;
    await runFanOut(argv, settings, async (context) => {
      const asked = request === null ? await rerunFailedRequest(context, String(rerun), own) : { request, input };
      if (asked.request.run.sudo?.askPassword === true) sudoPassword ??= await readSudoPassword();
      return { ...asked, sudoPassword };
    });
  },
};

/** The job an invoke makes from its flags: hosts read and checked, the command built, defaults applied. */
export async function requestFromArgs(
  argv: InvokeArgs,
  own: Omit<JobRequestOptions, 'type' | 'command'>,
  maxOutputBytes: number,
): Promise<JobRequest> {
  const hosts = await hostsFromArgs(argv['hosts-file'], argv['computer-name'], argv.user, argv.exclude, argv.inventory);
  const command = argv.thread
    ? await threadCommand(argv.eval, argv.script, argv['--'] ?? [], `fleet invoke ${hostWords(argv)} --thread`)
    : await commandFromArgs(argv.script, argv['--'] ?? [], {
        argv: argv.argv === true,
        example: `fleet invoke ${hostWords(argv)} -- uptime`,
      });
  if (!argv.thread && argv.eval !== undefined)
    throw new UsageError('--eval goes with --thread', { hint: `fleet invoke ${hostWords(argv)} --thread --eval 'return 1 + 1'` });
  return resolveJobRequest({
    ...own,
    type: 'remote',
    command,
    hosts,
    workdir: argv.workdir,
    env: argv.env,
    timeoutSeconds: argv.timeout,
    maxOutputBytes,
    connectTimeoutSeconds: argv['connect-timeout'],
    sudo: argv.sudo === undefined ? undefined : { user: argv.sudo === '' ? null : argv.sudo, askPassword: argv['ask-sudo-pass'] === true },
  });
}

/** What a rerun cannot also be given: it reruns the job's own hosts and command, as the job ran it. */
function rerunConflicts(argv: InvokeArgs): string[] {
  const given: [string, boolean][] = [
    ['-f', argv['hosts-file'] !== undefined],
    ['-c', argv['computer-name'] !== undefined],
    ['-l', argv.user !== undefined],
    ['-x', argv.exclude !== undefined],
    ['--inventory', argv.inventory !== undefined],
    ['--script', argv.script !== undefined],
    ['--thread', argv.thread !== undefined],
    ['--eval', argv.eval !== undefined],
    ['the command after --', (argv['--'] ?? []).length > 0],
    ['--argv', argv.argv !== undefined],
    ['--workdir', argv.workdir !== undefined],
    ['--env', argv.env !== undefined],
    ['--timeout', argv.timeout !== undefined],
    ['--connect-timeout', argv['connect-timeout'] !== undefined],
    ['--stdin (a job that read its standard input is rerun with the same bytes)', argv.stdin !== undefined],
    ['--sudo', argv.sudo !== undefined],
  ];
  return given.filter(([, present]) => present).map(([flag]) => flag);
}

/** The hosts as given, for an example line: `-f hosts`, `-c web1,web2`. */
function hostWords(argv: InvokeArgs): string {
  const words = [
    ...(argv['hosts-file'] === undefined ? [] : ['-f', argv['hosts-file']]),
    ...(argv['computer-name'] === undefined ? [] : ['-c', argv['computer-name'].join(',')]),
    ...(argv.user === undefined ? [] : ['-l', argv.user]),
  ];
  return words.length === 0 ? 'HOSTS' : words.map(quoteShellWord).join(' ');
}
