// Pure: the soak's Markdown report (bench/SOAK.md).
import { FAULT_KINDS, type SoakResult } from '../test/support/soak/soak.js';

export interface SoakReportContext {
  /** How to run the same schedule again. */
  replay: string;
  date: string;
  machine: string;
}

export function soakReport(result: SoakResult, context: SoakReportContext): string {
  const held = result.verdict.invariants.every((invariant) => invariant.held);
  const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
  const faultRows = FAULT_KINDS.map((kind) => `| ${kind} | ${result.faults[kind]} |`);
  const totalFaults = FAULT_KINDS.reduce((sum, kind) => sum + result.faults[kind], 0);
  const outcomes = new Map<string, number>();
  for (const child of result.children) {
    const key = `${child.state} | ${child.reason ?? ''}`;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  }
  const outcomeRows = [...outcomes.entries()].sort((a, b) => b[1] - a[1]).map(([key, count]) => `| ${key} | ${count} |`);
  const failureRows = [...result.launchFailures.entries()].map(([why, count]) => `| ${escapeCell(why)} | ${count} |`);
  const invariantRows = result.verdict.invariants.map(
    (invariant) =>
      `| ${invariant.name} | ${invariant.held ? 'held' : '**failed**'} | ${invariant.details.length === 0 ? '' : escapeCell(shorten(invariant.details))} |`,
  );
  const { lines } = result.verdict;
  const droppedRows = [...lines.dropped.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([reason, count]) => `| ${escapeCell(reason)} | ${count} |`);
  const memoryRows = result.verdict.memory.map(
    (figure) =>
      `| ${figure.slot} | ${figure.pid} | ${figure.samples} | ${figure.firstMiB.toFixed(1)} | ${figure.baselineMiB?.toFixed(1) ?? '–'} | ${figure.peakMiB.toFixed(1)} | ${figure.lastMiB.toFixed(1)} | ${figure.ratio === null ? 'not judged (short life)' : `${figure.ratio.toFixed(2)}×`} |`,
  );
  return [
    '# Chaos soak',
    '',
    `${context.date}, ${context.machine}. Seed **${result.seed}**: replay with \`${context.replay}\`.`,
    '',
    `**${held ? 'Every invariant held.' : 'An invariant failed.'}**`,
    '',
    `Faults for ${seconds(result.faultMs)} over ${result.hosts} sshd hosts, ${result.agents} agents (slot 0 never faulted) and one redis-server (AOF, \`appendfsync always\`); ${result.lanes} fan-outs at a time, ${result.lines} numbered lines per child. ` +
      (result.settleMs === null
        ? 'Some jobs had not ended when the wait for them ran out.'
        : `Every job had ended ${seconds(result.settleMs)} after the last fault was undone.`),
    '',
    '## Invariants',
    '',
    '| invariant | | details |',
    '|---|---|---|',
    ...invariantRows,
    ...(result.verdict.invariants.some((invariant) => invariant.details.length > 0)
      ? [
          '',
          ...result.verdict.invariants.flatMap((invariant) =>
            invariant.held ? [] : [`### ${invariant.name}`, '', ...invariant.details.map((line) => `- ${escapeCell(line)}`), ''],
          ),
        ]
      : []),
    '',
    `## Faults injected (${totalFaults})`,
    '',
    '| kind | count |',
    '|---|---|',
    ...faultRows,
    ...(result.faultNotes.length > 0 ? ['', ...result.faultNotes.map((note) => `- ${note}`)] : []),
    '',
    '## Jobs',
    '',
    `${result.launched} fan-outs made (${result.children.length} children), ${result.stopsSent} stopped with \`fleet stop\`${result.stopsUnsent > 0 ? ` (${result.stopsUnsent} more stops never reached Redis)` : ''}; ${[...result.launchFailures.values()].reduce((a, b) => a + b, 0)} \`invoke\` runs made no job. Agents fleet started by itself: ${result.fleetStartedAgents.length}.`,
    '',
    '| child state | reason | children |',
    '|---|---|---|',
    ...outcomeRows,
    ...(failureRows.length > 0 ? ['', '| `invoke` that made no job | count |', '|---|---|', ...failureRows] : []),
    '',
    '## Lines',
    '',
    `${lines.received} of ${lines.expected} lines received; the rest counted as dropped, by reason:`,
    '',
    '| reason | lines |',
    '|---|---|',
    ...droppedRows,
    '',
    '## Agent memory (VmRSS, MiB)',
    '',
    'Sampled every 2 s; the baseline is the peak of the first 3 samples after 20 s of life, and growth past 3× of it fails.',
    '',
    '| slot | pid | samples | first | baseline | peak (whole life) | last | peak after warm-up / baseline |',
    '|---|---|---|---|---|---|---|---|',
    ...memoryRows,
    '',
  ].join('\n');
}

function shorten(details: readonly string[]): string {
  return details.length <= 3 ? details.join('; ') : `${details.slice(0, 3).join('; ')}; and ${details.length - 3} more (below)`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
