import type { JobView } from '@fleet/core';

const COLUMNS: [string, (job: JobView) => string][] = [
  ['Id', (job) => String(job.id)],
  ['Name', (job) => job.name],
  ['Type', (job) => job.type],
  ['State', (job) => job.state],
  ['HasMoreData', (job) => (job.hasMoreData ? 'True' : 'False')],
  ['Location', (job) => job.location],
  ['Command', (job) => job.command],
];

/** How a cell's text is shown: as it is, or escaped for a terminal (core's `escapeTerminalField`). */
export type ShowCell = (text: string) => string;

const asItIs: ShowCell = (text) => text;

/** Jobs as Get-Job's table shows them. Long cells are cut so each job stays one line. */
export function formatJobTable(jobs: readonly JobView[], show: ShowCell = asItIs): string {
  if (jobs.length === 0) return '';
  const rows = jobs.map((job) => COLUMNS.map(([, cell]) => show(oneLine(cell(job)))));
  const widths = COLUMNS.map(([title], index) => Math.max(title.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => cell.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(COLUMNS.map(([title]) => title)), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n') + '\n';
}

/**
 * Jobs as Format-List shows them: one `Key : value` line per field, and for
 * a leaf which way it ran (`Via`: local, ssh, agent <id>). A value of several
 * lines (a script's command) goes on indented, so that no line of it reads
 * as a field of its own.
 */
export function formatJobList(jobs: readonly JobView[], via: ReadonlyMap<number, string> = new Map(), show: ShowCell = asItIs): string {
  const fields: [string, (job: JobView) => string][] = [
    ...COLUMNS,
    ['ParentId', (job) => (job.parentId === null ? '' : String(job.parentId))],
    ['ChildJobs', (job) => job.childIds.join(', ')],
    ['BeganAt', (job) => job.beganAt ?? ''],
    ['EndedAt', (job) => job.endedAt ?? ''],
    ['ExitCode', (job) => (job.exitCode === null ? '' : String(job.exitCode))],
    ['Reason', (job) => job.reason ?? ''],
    ['Via', (job) => via.get(job.id) ?? ''],
  ];
  const width = Math.max(...fields.map(([title]) => title.length));
  const value = (text: string) =>
    text
      .split('\n')
      .map(show)
      .join(`\n${' '.repeat(width + 3)}`);
  return jobs.map((job) => fields.map(([title, cell]) => `${title.padEnd(width)} : ${value(cell(job))}`).join('\n') + '\n').join('\n');
}

function oneLine(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}
