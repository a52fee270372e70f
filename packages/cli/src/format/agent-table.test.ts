import type { AgentInfo } from '@fleet/store';
import { describe, expect, it } from 'vitest';
import { formatAgentTable, heartbeatAge } from './agent-table.js';

const now = Date.parse('2026-12-01T05:00:10.000Z');
const shared: AgentInfo = {
  id: 'box-10-aaaaaa',
  host: 'box',
  version: '0.3.0',
  pid: 10,
  concurrency: 64,
  serves: null,
  running: 2,
  runningIds: [7, 9],
  sshConfig: '/home/u/.ssh/config',
  redis: '/home/u/.local/state/fleet/redis/redis.sock',
  startedAt: '2026-12-01T04:00:00.000Z',
  heartbeatAt: '2026-12-01T05:00:07.500Z',
};
const node: AgentInfo = { ...shared, id: 'n1-4-bbbbbb', host: 'n1', pid: 4, serves: 'n1', running: 0, runningIds: [], sshConfig: null };

describe('the agents table', () => {
  it('says the queue, SSH configuration, running jobs and heartbeat age of each agent', () => {
    expect(formatAgentTable([shared, node], now)).toBe(
      [
        'Id             Host  Pid  Version  Queue    SshConfig            Running  Heartbeat',
        'box-10-aaaaaa  box   10   0.3.0    shared   /home/u/.ssh/config  7,9      2s ago',
        'n1-4-bbbbbb    n1    4    0.3.0    node n1  -                    -        2s ago',
        '',
      ].join('\n'),
    );
  });

  it('marks an agent started with --run-nothing in its queue column', () => {
    expect(formatAgentTable([{ ...shared, runsNothing: true }], now).split('\n')[1]).toContain('  shared (runs nothing)  ');
  });

  it('shows ? where an older agent does not say, and its count of running jobs', () => {
    const { sshConfig: _sshConfig, runningIds: _runningIds, ...older } = shared;
    expect(formatAgentTable([older], now).split('\n')[1]).toBe('box-10-aaaaaa  box   10   0.3.0    shared  ?          2        2s ago');
  });

  it('never gives a negative age, and ? for a time that does not parse', () => {
    expect(heartbeatAge({ ...shared, heartbeatAt: '2026-12-01T05:00:11.000Z' }, now)).toBe('0s');
    expect(heartbeatAge({ ...shared, heartbeatAt: 'soon' }, now)).toBe('?');
  });
});
