import { readdir, readFile } from 'node:fs/promises';
import { isAlive, until } from './poll.js';

/** A live process: its pid and its command line, arguments joined by spaces. */
export interface ProcessLine {
  pid: number;
  cmdline: string;
}

/** Live processes whose command line contains `word`, and each of `more` (like pgrep -af). */
export async function processLinesWith(word: string, ...more: string[]): Promise<ProcessLine[]> {
  const found: ProcessLine[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(word) && more.every((other) => cmdline.includes(other)) && isAlive(Number(entry)))
      found.push({ pid: Number(entry), cmdline: cmdline.replaceAll('\u0000', ' ').trim() });
  }
  return found;
}

/** Pids of processes whose command line contains `word`, and each of `more` (like pgrep -f). */
export async function processesWith(word: string, ...more: string[]): Promise<number[]> {
  return (await processLinesWith(word, ...more)).map((line) => line.pid);
}

/** The command lines of a process's ancestors, its parent first, up to (not including) pid 1. */
export async function ancestorLines(pid: number): Promise<string[]> {
  const lines: string[] = [];
  let current = pid;
  for (;;) {
    const stat = await readFile(`/proc/${current}/stat`, 'utf8').catch(() => '');
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!(parent > 1)) return lines;
    lines.push((await readFile(`/proc/${parent}/cmdline`, 'utf8').catch(() => '')).replaceAll('\u0000', ' ').trim());
    current = parent;
  }
}

/**
 * Waits until no live process's command line contains `word` (and each of
 * `more`), seen by two scans in a row. One scan can miss a process: /proc is
 * listed first and read after, so a child forked after the listing by a parent
 * that exits before it is read (a shell's background job on SIGTERM, say) is
 * in neither. The second scan lists it.
 */
export async function untilNoProcessesWith(
  words: string | [string, ...string[]],
  { what, timeoutMs }: { what: string; timeoutMs?: number },
): Promise<void> {
  const [word, ...more] = typeof words === 'string' ? [words] : words;
  let emptyScans = 0;
  await until(
    async () => {
      emptyScans = (await processLinesWith(word, ...more)).length === 0 ? emptyScans + 1 : 0;
      return emptyScans >= 2;
    },
    { what, timeoutMs },
  );
}
