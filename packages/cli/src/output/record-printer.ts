import type { Writable } from 'node:stream';
import {
  endRecord,
  escapeTerminalBytes,
  escapeTerminalField,
  escapeTerminalText,
  formatRecordText,
  JobLines,
  lineRecords,
  prefixLines,
  restRecord,
  type JobView,
  type LineRest,
  type OutputRecord,
} from '@fleet/core';
import { entryRecords, type StoredEntry } from '@fleet/store';
import { colourHost, coloursOn } from '../format/host-colour.js';
import { escapesOn, jsonForTerminal } from '../format/terminal-text.js';
import { writeOrWait } from './write-or-wait.js';
import { entryChunk, utf8AsLatin1 } from './entry-bytes.js';
import type { OutputHandler } from './output-page.js';

export interface RecordPrinterOptions {
  /** One JSON object a record (`--json`), else text. */
  json: boolean;
  /**
   * Text lines of jobs whose type has them read `HOST: line`; false prints
   * every job's bytes as they are (`--no-prefix`).
   */
  prefix: boolean;
  /**
   * `--raw`: a terminal gets a host's control characters as they are; else
   * they are shown escaped there (core's `escapeTerminalBytes`).
   * @defaultValue false
   */
  raw?: boolean;
  /**
   * Where stdout and stderr text goes (`--json` sends everything to stdout):
   * an HTTP response for `fleet serve`.
   * @defaultValue the process's own
   */
  streams?: PrintStreams;
}

/** The two streams a printer writes to; `isTTY` decides escaping and colours, as for the process's own. */
export interface PrintStreams {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
}

type Target = 'stdout' | 'stderr';
type LineStream = 'stdout' | 'stderr';

/**
 * Prints output as `receive` does: text on stdout and stderr, or one JSON
 * object a record. A job's stdout and stderr chunks are made whole lines
 * again (core's `JobLines`), so a prefix starts each line and hosts
 * interleave only between lines; a line is never cut, whatever its length.
 * A job's unfinished last line is printed when its output ends (with a
 * newline only where it carries a prefix, so unprefixed output stays byte
 * for byte), or when the reading ends. `--json` gives each line as a record
 * (see core's `lineRecords`), and after a job's last record its end record.
 *
 * Bytes stay bytes: text is held as Latin-1 strings (one character a byte)
 * and written as such; a page is one write per run bound for the same stream
 * (so stdout and stderr keep their order on a terminal), and the next page
 * waits while a slow reader has not taken this one.
 */
export class RecordPrinter {
  private readonly lines = new JobLines<LineStream>();
  /** The jobs that wrote lines (which may be unfinished), and how their lines read. */
  private readonly open = new Map<number, { host: string; hostPrefix: boolean }>();
  /** Host text shown escaped where it lands on a terminal, unless `--raw`. */
  private readonly escaping: Record<Target, boolean>;
  /** Whether what was last written to each stream ended a line: fleet's own lines start on one. */
  private readonly atLineStart = { stdout: true, stderr: true };
  private runs: { target: Target; text: string }[] = [];
  private readonly streams: PrintStreams;
  /** Host prefixes in colour where they land on a terminal (and NO_COLOR is not set). */
  private readonly colours: Record<Target, boolean>;

  constructor(private readonly options: RecordPrinterOptions) {
    const streams = (this.streams = options.streams ?? { stdout: process.stdout, stderr: process.stderr });
    this.escaping = { stdout: escapesOn(streams.stdout, options.raw), stderr: escapesOn(streams.stderr, options.raw) };
    this.colours = { stdout: coloursOn(streams.stdout), stderr: coloursOn(streams.stderr) };
  }

  readonly emit: OutputHandler = async (page) => {
    const hostPrefix = this.options.prefix && page.hostPrefix;
    for (const entry of page.entries) this.entry(entry, hostPrefix);
    for (const job of page.ended ?? []) this.ended(job);
    await this.write();
  };

  /** One job's output has ended (`fleet events` saw it end): prints its unfinished last line. */
  async endOutputOf(jobId: number): Promise<void> {
    this.restsOf(jobId);
    await this.write();
  }

  /** The reading ends: prints the lines still unfinished (jobs still running, or a part taken). */
  async finish(): Promise<void> {
    for (const rest of this.lines.takeRests()) this.rest(rest);
    this.open.clear();
    await this.write();
  }

  private entry(entry: StoredEntry, hostPrefix: boolean): void {
    if (entry.stream === 'stdout' || entry.stream === 'stderr') {
      this.open.set(entry.jobId, { host: entry.host, hostPrefix });
      const lines = this.lines.push(entry.jobId, entry.stream, entryChunk(entry), entry.ts);
      if (lines === '') return;
      if (this.options.json) {
        const source = { jobId: entry.jobId, host: entry.host, stream: entry.stream, ts: entry.ts };
        this.add('stdout', jsonLines(lineRecords(lines, source)));
      } else {
        const shown = this.escaping[entry.stream] ? escapeTerminalBytes(lines) : lines;
        const text = hostPrefix ? `${prefixLines(shown.slice(0, -1), this.prefix(entry.host, entry.stream))}\n` : shown;
        this.add(entry.stream, text);
      }
      return;
    }
    // Why a job failed is written once its command has ended: its output is complete.
    if (entry.stream === 'error') this.restsOf(entry.jobId);
    const record = entryRecords(entry)[0] as OutputRecord;
    if (this.options.json) {
      this.add('stdout', jsonLines([record]));
      return;
    }
    const shownOn = entry.stream === 'error' ? 'stderr' : 'stdout';
    const plainHost = this.escaping[shownOn] ? escapeTerminalField(record.host) : record.host;
    const host = this.colours[shownOn] ? colourHost(plainHost) : plainHost;
    const data = this.escaping[shownOn] && typeof record.data === 'string' ? escapeTerminalText(record.data) : record.data;
    const { line, toStderr } = formatRecordText({ ...record, host, data }, hostPrefix);
    const target = toStderr ? 'stderr' : 'stdout';
    this.add(target, `${this.atLineStart[target] ? '' : '\n'}${utf8AsLatin1(line)}\n`);
  }

  /** A job's output has all been handed on: its last line, then (`--json`) its end record. */
  private ended(job: JobView): void {
    this.restsOf(job.id);
    if (this.options.json) this.add('stdout', jsonLines([endRecord(job)]));
  }

  private restsOf(jobId: number): void {
    for (const rest of this.lines.takeRests(jobId)) this.rest(rest);
    this.open.delete(jobId);
  }

  /**
   * A last line without a newline. Unprefixed it stays so, byte for byte,
   * except on a terminal: there a newline ends it, so that the progress line
   * (redrawn in place) and the next output do not land over it.
   */
  private rest({ jobId, stream, rest, stamp }: LineRest<LineStream>): void {
    const { host, hostPrefix } = this.open.get(jobId) ?? { host: '', hostPrefix: false };
    const shown = this.escaping[stream] ? escapeTerminalBytes(rest) : rest;
    if (this.options.json) this.add('stdout', jsonLines([restRecord(rest, { jobId, host, stream, ts: stamp })]));
    else if (hostPrefix) this.add(stream, `${this.prefix(host, stream)}${shown}\n`);
    else this.add(stream, this.streams[stream].isTTY === true ? `${shown}\n` : rest);
  }

  private prefix(host: string, target: Target): string {
    // A host entry parsed by fleet has no control character; one written into Redis might.
    const shown = this.escaping[target] ? escapeTerminalField(host) : host;
    return utf8AsLatin1(`${this.colours[target] ? colourHost(shown) : shown}: `);
  }

  private add(target: Target, text: string): void {
    if (text === '') return;
    const last = this.runs[this.runs.length - 1];
    if (last !== undefined && last.target === target) last.text += text;
    else this.runs.push({ target, text });
    this.atLineStart[target] = text.endsWith('\n');
  }

  private async write(): Promise<void> {
    const runs = this.runs;
    this.runs = [];
    // JSON is text (each record's UTF-8); everything else is bytes held as Latin-1.
    const encoding = this.options.json ? 'utf8' : 'latin1';
    for (const { target, text } of runs) {
      // JSON on a terminal: DEL and C1 `\u`-escaped too (JSON.stringify does C0 only).
      await writeOrWait(this.streams[target], this.options.json ? jsonForTerminal(this.streams[target], text) : text, encoding);
    }
  }
}

/** Records as newline-delimited JSON. */
function jsonLines(records: readonly object[]): string {
  let text = '';
  for (const record of records) text += `${JSON.stringify(record)}\n`;
  return text;
}
