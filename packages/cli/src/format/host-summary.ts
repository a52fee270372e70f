import type { JobView } from '@fleet/core';

/**
 * The one line a synchronous `invoke` ends with: how many hosts completed, and
 * every host that did not, with why.
 */
export function formatHostSummary(children: readonly JobView[]): string {
  const completed = children.filter((child) => child.state === 'Completed').length;
  const head = `${completed} of ${children.length} ${children.length === 1 ? 'host' : 'hosts'} completed`;
  const groups = (['Failed', 'Stopped'] as const)
    .map((state) => {
      const hosts = children.filter((child) => child.state === state);
      if (hosts.length === 0) return null;
      return `${state.toLowerCase()}: ${hosts.map((child) => `${child.location} (${child.reason ?? state.toLowerCase()})`).join(', ')}`;
    })
    .filter((group) => group !== null);
  return [head, ...groups].join('; ');
}
