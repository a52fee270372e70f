import { UsageError, type JobView } from '@fleet/core';
import type { Argv } from 'yargs';
import { OutputGrouper } from './output-grouper.js';
import { OutdirWriter } from './outdir-writer.js';
import type { OutputHandler } from './output-page.js';
import { RecordPrinter } from './record-printer.js';

/** Where `receive` and `invoke` send output: printed as it comes, grouped at the end, or into per-host files. */
export interface OutputSink {
  emit: OutputHandler;
  /**
   * Once the output has all been read: prints what is left (an unfinished
   * line, the groups), or closes the files (one pair per leaf's host). The
   * leaves are read only by a sink that needs them.
   */
  finish(leaves: () => Promise<readonly JobView[]>): Promise<void>;
}

/** The help of `--prefix` (`--no-prefix`, `-N`), for the commands that print output. */
const PREFIX_HELP = 'Label lines HOST: (the default); --no-prefix or -N prints the bytes as the command wrote them';

/** The help of `--raw`. */
const RAW_HELP =
  "On a terminal, print hosts' control characters as they are; without it they show as cat -v shows them (^[, ^M), so output cannot move the cursor, retitle the window or forge a line. Pipes and files always get the bytes as they are";

/** The flags that choose a sink (`--group`, `--outdir`, `--no-prefix`/`-N`), as `invoke` and `receive` take them; read by {@link outputSinkFromArgs}. */
export function outputFlags<T>(yargs: Argv<T>) {
  return yargs
    .option('group', {
      type: 'boolean',
      default: false,
      describe: 'Print each distinct output once, under the hosts that wrote it (like clush -b)',
    })
    .option('outdir', {
      type: 'string',
      describe: "Write each host's stdout to DIR/HOST.out and stderr to DIR/HOST.err (like pssh -o/-e)",
    })
    .option('prefix', { type: 'boolean', default: true, describe: PREFIX_HELP })
    .option('N', { type: 'boolean', describe: 'The same as --no-prefix (clush -N)' })
    .option('raw', { type: 'boolean', default: false, describe: RAW_HELP });
}

export interface OutputSinkArgs {
  json: boolean;
  group?: boolean;
  outdir?: string | undefined;
  /** `--prefix` (default) or `--no-prefix`. */
  prefix?: boolean;
  /** `-N`, as clush's: the same as `--no-prefix`. */
  N?: boolean | undefined;
  /** `--raw`: a terminal gets control characters as they are. */
  raw?: boolean;
}

/** The sink the flags ask for; `fresh` empties per-host files first (a new job's output). */
export async function outputSinkFromArgs(args: OutputSinkArgs, options: { fresh: boolean }): Promise<OutputSink> {
  if (args.json && (args.group || args.outdir !== undefined)) {
    throw new UsageError('--json prints every record; it does not go with --group or --outdir');
  }
  if (args.group && args.outdir !== undefined) throw new UsageError('choose one of --group and --outdir');
  const prefix = args.prefix !== false && args.N !== true;
  if (!prefix && (args.json || args.group || args.outdir !== undefined)) {
    throw new UsageError('--no-prefix (-N) shapes printed lines; it does not go with --json, --group or --outdir');
  }
  if (args.group) {
    const grouper = new OutputGrouper(args.raw === true);
    return { emit: grouper.emit, finish: async (leaves) => grouper.print(await leaves()) };
  }
  const printer = new RecordPrinter({ json: args.json, prefix, raw: args.raw === true });
  if (args.outdir !== undefined) {
    if (args.outdir === '') throw new UsageError('--outdir needs a directory');
    const writer = await OutdirWriter.open(args.outdir, options.fresh, printer.emit);
    return {
      emit: writer.emit,
      finish: async (leaves) => {
        await printer.finish();
        await writer.close((await leaves()).map((leaf) => leaf.location));
      },
    };
  }
  return { emit: printer.emit, finish: () => printer.finish() };
}
