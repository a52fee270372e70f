import { describe, expect, it } from 'vitest';
import { parsePrometheus as samples } from '../../../../test/support/prometheus-text.js';
import type { AgentStats } from '../agent-observer.js';
import { AgentMetrics } from './agent-metrics.js';

describe('AgentMetrics', () => {
  it('counts what the agent tells it, by fixed label values only', async () => {
    const metrics = new AgentMetrics();
    metrics.childStarted(20);
    metrics.childStarted(3_000);
    metrics.commandRan(400);
    metrics.outputBytes('stdout', 6);
    metrics.outputBytes('stdout', 4);
    metrics.outputBytes('stderr', 1);
    metrics.transferBytes(1_000);
    metrics.childFinished('Completed');
    metrics.childFinished('Failed');
    metrics.childFinished('Stopped');
    metrics.childFinished('Failed');
    metrics.connectionOpened();
    metrics.connectionReused();
    metrics.connectionReused();
    metrics.connectionFailed('refused');
    const text = await metrics.render();
    const got = samples(text);
    expect(Object.fromEntries([...got].filter(([name]) => name.startsWith('fleet_') && !name.includes('_bucket')))).toEqual({
      // fleet serve's names and shapes, counted by this agent.
      fleet_children_started_total: 2,
      fleet_children_finished_total: 4,
      fleet_children_failed_total: 2,
      fleet_agent_children_stopped_total: 1,
      fleet_agent_children_running: 0,
      fleet_agent_command_duration_seconds_sum: 0.4,
      fleet_agent_command_duration_seconds_count: 1,
      fleet_agent_queue_wait_seconds_sum: 3.02,
      fleet_agent_queue_wait_seconds_count: 2,
      'fleet_agent_output_bytes_total{stream="stdout"}': 10,
      'fleet_agent_output_bytes_total{stream="stderr"}': 1,
      fleet_agent_transfer_bytes_total: 1_000,
      fleet_agent_ssh_connections_open: 0,
      fleet_agent_ssh_connections_opened_total: 1,
      'fleet_agent_ssh_connections_failed_total{reason="refused"}': 1,
      fleet_agent_ssh_connections_reused_total: 2,
      fleet_agent_heartbeat_age_seconds: Number.NaN,
    });
    expect(got.get('fleet_agent_queue_wait_seconds_bucket{le="0.025"}')).toBe(1);
    expect(got.get('fleet_agent_queue_wait_seconds_bucket{le="5"}')).toBe(2);
    // The process's own, from prom-client's defaults.
    expect(got.has('process_cpu_seconds_total')).toBe(true);
    expect(got.has('nodejs_heap_size_used_bytes')).toBe(true);
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('reads its gauges from the agent it watches at each scrape', async () => {
    const metrics = new AgentMetrics();
    let stats: AgentStats = { running: 3, sshConnectionsOpen: 2, lastBeatAt: Date.now() - 1_500 };
    metrics.watch({ stats: () => stats });
    let got = samples(await metrics.render());
    expect(got.get('fleet_agent_children_running')).toBe(3);
    expect(got.get('fleet_agent_ssh_connections_open')).toBe(2);
    expect(got.get('fleet_agent_heartbeat_age_seconds')).toBeGreaterThanOrEqual(1.5);
    stats = { running: 0, sshConnectionsOpen: 0, lastBeatAt: null };
    got = samples(await metrics.render());
    expect(got.get('fleet_agent_children_running')).toBe(0);
    expect(got.get('fleet_agent_heartbeat_age_seconds')).toBeNaN();
  });

  it('keeps two agents of one process apart (a registry of its own each)', async () => {
    const one = new AgentMetrics();
    const two = new AgentMetrics();
    one.childStarted(0);
    expect(samples(await one.render()).get('fleet_children_started_total')).toBe(1);
    expect(samples(await two.render()).get('fleet_children_started_total')).toBe(0);
  });

  it('leaves out a value that is no count (prom-client would throw), and counts the start all the same', async () => {
    const metrics = new AgentMetrics();
    metrics.childStarted(null);
    metrics.childStarted(Number.NaN);
    metrics.commandRan(Number.POSITIVE_INFINITY);
    metrics.outputBytes('stdout', -1);
    metrics.transferBytes(Number.NaN);
    const got = samples(await metrics.render());
    expect(got.get('fleet_children_started_total')).toBe(2);
    expect(got.get('fleet_agent_queue_wait_seconds_count')).toBe(0);
    expect(got.get('fleet_agent_command_duration_seconds_count')).toBe(0);
    expect(got.get('fleet_agent_output_bytes_total{stream="stdout"}')).toBe(0);
    expect(got.get('fleet_agent_transfer_bytes_total')).toBe(0);
  });
});
