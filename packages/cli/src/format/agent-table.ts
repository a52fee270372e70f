import type { AgentInfo } from '@fleet/store';
import type { ShowCell } from './job-table.js';

/** Whole seconds since the agent's last heartbeat, as `3s`; `?` for a time that does not parse. */
export function heartbeatAge(agent: AgentInfo, now: number): string {
  const at = Date.parse(agent.heartbeatAt);
  return Number.isNaN(at) ? '?' : `${Math.max(0, Math.floor((now - at) / 1000))}s`;
}

const COLUMNS: [string, (agent: AgentInfo, now: number) => string][] = [
  ['Id', (agent) => agent.id],
  ['Host', (agent) => agent.host],
  ['Pid', (agent) => String(agent.pid)],
  ['Version', (agent) => agent.version],
  // A node's agent takes its node's queue; every other agent the shared one.
  [
    'Queue',
    (agent) => `${agent.serves === null ? 'shared' : `node ${agent.serves}`}${agent.runsNothing === true ? ' (runs nothing)' : ''}`,
  ],
  ['SshConfig', (agent) => (agent.sshConfig === undefined ? '?' : (agent.sshConfig ?? '-'))],
  ['Running', (agent) => (agent.runningIds === undefined ? String(agent.running) : agent.runningIds.join(',') || '-')],
  ['Heartbeat', (agent, now) => `${heartbeatAge(agent, now)} ago`],
];

/**
 * Live agents, one line each: which queue each takes, the SSH configuration
 * it read when it started (it keeps it until it exits), the jobs it runs, and
 * how long ago it last said it was alive. `?` where an older agent does not say.
 */
export function formatAgentTable(agents: readonly AgentInfo[], now: number, show: ShowCell = (text) => text): string {
  const rows = [COLUMNS.map(([title]) => title), ...agents.map((agent) => COLUMNS.map(([, cell]) => show(cell(agent, now))))];
  const widths = COLUMNS.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows
    .map(
      (row) =>
        `${row
          .map((cell, column) => cell.padEnd(widths[column] ?? 0))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}
