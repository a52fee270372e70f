// Pure: the soak's invariants, judged from what it observed once the faults
// had stopped and every agent and host was back.
import type { JobView } from '@fleet/core';
import type { ProcessLine } from '../processes.js';
import { soakLineNumber } from './workload.js';

/** An output record as `receive --json` prints it (the fields the soak reads). */
export interface SoakRecord {
  jobId: number;
  stream: string;
  data?: unknown;
}

/** One agent process's resident memory over its life: `atMs` since it was started. */
export interface AgentMemory {
  pid: number;
  slot: number;
  samples: { atMs: number; rssKiB: number }[];
}

export interface MemoryRule {
  /** Samples taken earlier in an agent's life are not judged (start-up, first connections). */
  warmupMs: number;
  /** The samples after warm-up whose peak is the baseline. */
  baselineSamples: number;
  /** Fewer samples after warm-up than this, and the agent is listed but not judged. */
  minSamples: number;
  /** Growth beyond this multiple of the baseline fails the invariant. */
  maxRatio: number;
}

export interface SoakObservations {
  /** The lines every child prints. */
  lines: number;
  parents: readonly JobView[];
  children: readonly JobView[];
  records: readonly SoakRecord[];
  /** Runs seen per child id (marker files). */
  runs: ReadonlyMap<number, number>;
  /** Processes carrying the soak's marker still alive once every job had ended, and the orphan wait was over. */
  orphans: readonly ProcessLine[];
  memory: readonly AgentMemory[];
  memoryRule: MemoryRule;
}

export interface Invariant {
  name: InvariantName;
  held: boolean;
  /** What was found against it, one item each (empty when it held). */
  details: string[];
}

export type InvariantName =
  'every job ended' | 'no command ran twice' | 'no orphan process' | 'every line accounted for' | 'no unbounded agent memory';

/** Each child's lines: received, or counted as dropped with the reason that says so. */
export interface LineAccount {
  expected: number;
  received: number;
  /** Lines not received, by the reason the child (or its error record) gives. */
  dropped: Map<string, number>;
}

export interface MemoryFigure {
  pid: number;
  slot: number;
  samples: number;
  firstMiB: number;
  baselineMiB: number | null;
  peakMiB: number;
  lastMiB: number;
  /** Peak after warm-up over the baseline; null when not judged (too few samples). */
  ratio: number | null;
}

export interface SoakVerdict {
  invariants: Invariant[];
  lines: LineAccount;
  memory: MemoryFigure[];
}

const FINAL_STATES = new Set(['Completed', 'Failed', 'Stopped']);

export function judgeSoak(observed: SoakObservations): SoakVerdict {
  const lines = accountLines(observed);
  const memory = memoryFigures(observed.memory, observed.memoryRule);
  return {
    invariants: [
      everyJobEnded(observed),
      noCommandRanTwice(observed),
      {
        name: 'no orphan process',
        held: observed.orphans.length === 0,
        details: observed.orphans.map((orphan) => `pid ${orphan.pid}: ${orphan.cmdline}`),
      },
      lines.invariant,
      {
        name: 'no unbounded agent memory',
        held: memory.every((figure) => figure.ratio === null || figure.ratio <= observed.memoryRule.maxRatio),
        details: memory
          .filter((figure) => figure.ratio !== null && figure.ratio > observed.memoryRule.maxRatio)
          .map(
            (figure) =>
              `agent pid ${figure.pid}: ${figure.baselineMiB?.toFixed(1)} MiB after warm-up, peak ${figure.peakMiB.toFixed(1)} MiB (${figure.ratio?.toFixed(2)}x > ${observed.memoryRule.maxRatio}x)`,
          ),
      },
    ],
    lines: lines.account,
    memory,
  };
}

function everyJobEnded({ parents, children }: SoakObservations): Invariant {
  const open = [...parents, ...children].filter((job) => !FINAL_STATES.has(job.state));
  return {
    name: 'every job ended',
    held: open.length === 0,
    details: open.map((job) => `job ${job.id} (${job.location}) is ${job.state}`),
  };
}

function noCommandRanTwice({ children, runs }: SoakObservations): Invariant {
  const twice = children.filter((child) => (runs.get(child.id) ?? 0) > 1);
  return {
    name: 'no command ran twice',
    held: twice.length === 0,
    details: twice.map((child) => `job ${child.id} (${child.location}) ran ${runs.get(child.id)} times`),
  };
}

/**
 * A child's lines must be 1..k in order, each once. A Completed child has all
 * of them; any other may have a prefix, the rest counted as dropped under its
 * reason (`agent lost`, `timed out after 2s`, ...). An `error` record saying
 * output was dropped accounts for a shortfall too.
 */
function accountLines(observed: SoakObservations): { invariant: Invariant; account: LineAccount } {
  const byChild = new Map<number, SoakRecord[]>();
  for (const record of observed.records) byChild.set(record.jobId, [...(byChild.get(record.jobId) ?? []), record]);
  const account: LineAccount = { expected: 0, received: 0, dropped: new Map() };
  const details: string[] = [];
  for (const child of observed.children) {
    const records = byChild.get(child.id) ?? [];
    const numbers = records.filter((record) => record.stream === 'stdout').map((record) => soakLineNumber(String(record.data)));
    const errors = records.filter((record) => record.stream === 'error').map((record) => String(record.data));
    const inOrder = numbers.every((number, index) => number === index + 1);
    account.expected += observed.lines;
    account.received += numbers.length;
    const missing = observed.lines - numbers.length;
    const dropNote = errors.find((error) => /dropped/i.test(error));
    if (!inOrder) {
      details.push(`job ${child.id} (${child.location}): lines out of order, repeated or foreign: ${summarise(numbers)}`);
    } else if (missing > 0 && child.state === 'Completed' && dropNote === undefined) {
      details.push(`job ${child.id} (${child.location}) Completed with ${numbers.length} of ${observed.lines} lines and no reason`);
    } else if (missing > 0) {
      const reason = dropNote ?? child.reason;
      if (reason === null)
        details.push(`job ${child.id} (${child.location}) ${child.state} with ${numbers.length} of ${observed.lines} lines and no reason`);
      else account.dropped.set(reason, (account.dropped.get(reason) ?? 0) + missing);
    }
  }
  return { invariant: { name: 'every line accounted for', held: details.length === 0, details }, account };
}

function summarise(numbers: readonly (number | null)[]): string {
  const shown = numbers.slice(0, 12).map((number) => (number === null ? '?' : String(number)));
  return `${shown.join(',')}${numbers.length > 12 ? `, ... (${numbers.length} lines)` : ''}`;
}

function memoryFigures(agents: readonly AgentMemory[], rule: MemoryRule): MemoryFigure[] {
  const mib = (kib: number) => kib / 1024;
  return agents
    .filter((agent) => agent.samples.length > 0)
    .map((agent) => {
      const all = agent.samples.map((sample) => sample.rssKiB);
      const judged = agent.samples.filter((sample) => sample.atMs >= rule.warmupMs).map((sample) => sample.rssKiB);
      const baseline = judged.length >= rule.minSamples ? Math.max(...judged.slice(0, rule.baselineSamples)) : null;
      const peak = Math.max(...all);
      return {
        pid: agent.pid,
        slot: agent.slot,
        samples: all.length,
        firstMiB: mib(all[0] as number),
        baselineMiB: baseline === null ? null : mib(baseline),
        peakMiB: mib(peak),
        lastMiB: mib(all[all.length - 1] as number),
        ratio: baseline === null ? null : Math.max(...judged) / baseline,
      };
    });
}
