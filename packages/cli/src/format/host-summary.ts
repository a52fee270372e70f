import { foldHostsByReason, type JobView } from '@fleet/core';

/**
 * The one line a synchronous `invoke` ends with: how many hosts completed,
 * then, for each state and each distinct reason a host did not, its hosts
 * folded as clush folds them: `failed: web[03,17-19] (4): connection refused`.
 */
export function formatHostSummary(children: readonly JobView[]): string {
  const completed = children.filter((child) => child.state === 'Completed').length;
  return summaryLine(`${completed} of ${children.length} ${children.length === 1 ? 'host' : 'hosts'} completed`, [
    ...(['Failed', 'Stopped'] as const).flatMap((state) =>
      children
        .filter((child) => child.state === state)
        .map((child) => ({ state: state.toLowerCase(), host: child.location, reason: child.reason ?? state.toLowerCase() })),
    ),
  ]);
}

/**
 * `head`, then `; STATE: HOSTS (N): REASON` for each state (in the order given)
 * and reason: the hosts folded into ranges, N the entries. Semicolons part the
 * groups because a folded set holds commas.
 */
export function summaryLine(head: string, misses: readonly { state: string; host: string; reason: string }[]): string {
  const states = [...new Set(misses.map((miss) => miss.state))];
  const groups = states.flatMap((state) =>
    foldHostsByReason(misses.filter((miss) => miss.state === state)).map(
      ({ hosts, count, reason }) => `${state}: ${hosts} (${count}): ${reason}`,
    ),
  );
  return [head, ...groups].join('; ');
}
