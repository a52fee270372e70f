import type { CommandSpec } from './command-spec.js';
import type { TransferBytes } from './progress.js';

/**
 * What a job will move, as known when it is made: nothing done yet, of a
 * push's file bytes times its hosts. Undefined for a job that moves no
 * files (its progress line shows no bytes).
 */
export function plannedTransfer(command: CommandSpec, hostCount: number): TransferBytes | undefined {
  if (command.kind !== 'push') return undefined;
  const perHost = command.entries.reduce((sum, entry) => sum + (entry.type === 'file' ? entry.manifest.size : 0), 0);
  return { done: 0, total: perHost * hostCount };
}
