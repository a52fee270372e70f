import type { JobState, SshConnectFailure } from '@fleet/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AgentObserver, AgentStats } from '../agent-observer.js';

/** The gauges' reading while the agent starts (Redis opening): nothing runs, no beat yet. */
const NO_AGENT_YET: AgentStats = { running: 0, sshConnectionsOpen: 0, lastBeatAt: null };

/**
 * One agent's own metrics, in prom-client's text: what this agent ran, over
 * which SSH connections, and its process. Counters move as the agent tells
 * them (it is their {@link AgentObserver}); gauges are read from the agent
 * when scraped. No label carries a host name, a command or a job id: the
 * label values are fixed sets (streams, failure kinds).
 */
export class AgentMetrics implements AgentObserver {
  private readonly registry = new Registry();
  private source: (() => AgentStats) | null = null;
  // The names and shapes of fleet serve's children counters, so that one query sums agents or reads the server.
  private readonly started = this.counter(
    'fleet_children_started_total',
    'Leaves (children, start jobs) this agent began to run (claimed)',
  );
  private readonly finished = this.counter('fleet_children_finished_total', 'Leaves this agent ended (any way)');
  private readonly failed = this.counter('fleet_children_failed_total', 'Leaves this agent ended Failed (a refused signature too)');
  private readonly stopped = this.counter('fleet_agent_children_stopped_total', 'Leaves this agent ended Stopped');
  private readonly durations = this.histogram(
    'fleet_agent_command_duration_seconds',
    'Run time of the commands this agent ran, SSH connection included',
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
  );
  private readonly queueWaits = this.histogram(
    'fleet_agent_queue_wait_seconds',
    'From a leaf handed to the queue (by the dispatcher clock) to its claim here',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 15, 60, 300],
  );
  private readonly outputBytesTotal = this.counter('fleet_agent_output_bytes_total', 'Output bytes commands wrote, before any cap', [
    'stream',
  ]);
  private readonly transferBytesTotal = this.counter(
    'fleet_agent_transfer_bytes_total',
    'Bytes pushes and pulls moved, as their progress line counts them',
  );
  private readonly sshOpened = this.counter(
    'fleet_agent_ssh_connections_opened_total',
    'SSH connections made (handshake and authentication done)',
  );
  private readonly sshFailed = this.counter(
    'fleet_agent_ssh_connections_failed_total',
    'SSH connections that could not be made, or pooled ones known_hosts refused, by reason',
    ['reason'],
  );
  private readonly sshReused = this.counter(
    'fleet_agent_ssh_connections_reused_total',
    'Commands given a pooled SSH connection instead of a new one',
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    for (const stream of ['stdout', 'stderr']) this.outputBytesTotal.inc({ stream }, 0);
    this.gauge('fleet_agent_children_running', 'Leaves claimed by this agent and not yet ended', (stats) => stats.running);
    this.gauge('fleet_agent_ssh_connections_open', 'SSH connections up in the pool, held or idle', (stats) => stats.sshConnectionsOpen);
    this.gauge('fleet_agent_heartbeat_age_seconds', "Since Redis last took this agent's heartbeat (NaN before the first)", (stats, now) =>
      stats.lastBeatAt === null ? Number.NaN : (now - stats.lastBeatAt) / 1000,
    );
  }

  /** The agent whose gauges are read at each scrape; before it is known they read 0 (the age NaN). */
  watch(agent: { stats(): AgentStats }): void {
    this.source = () => agent.stats();
  }

  /** Every metric in Prometheus' text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  // prom-client throws on NaN and on a counter's negative step: a value that is no count is left out.

  childStarted(waitedMs: number | null): void {
    this.started.inc();
    if (isCount(waitedMs)) this.queueWaits.observe(waitedMs / 1000);
  }

  childFinished(state: JobState): void {
    this.finished.inc();
    if (state === 'Failed') this.failed.inc();
    if (state === 'Stopped') this.stopped.inc();
  }

  commandRan(durationMs: number): void {
    if (isCount(durationMs)) this.durations.observe(durationMs / 1000);
  }

  outputBytes(stream: 'stdout' | 'stderr', bytes: number): void {
    if (isCount(bytes)) this.outputBytesTotal.inc({ stream }, bytes);
  }

  transferBytes(bytes: number): void {
    if (isCount(bytes)) this.transferBytesTotal.inc(bytes);
  }

  connectionOpened(): void {
    this.sshOpened.inc();
  }

  connectionFailed(reason: SshConnectFailure): void {
    this.sshFailed.inc({ reason });
  }

  connectionReused(): void {
    this.sshReused.inc();
  }

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram(name: string, help: string, buckets: number[]): Histogram {
    return new Histogram({ name, help, buckets, registers: [this.registry] });
  }

  /** A gauge read from the agent's stats at each scrape. */
  private gauge(name: string, help: string, read: (stats: AgentStats, now: number) => number): Gauge {
    const current = (): AgentStats => this.source?.() ?? NO_AGENT_YET;
    return new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read(current(), Date.now()));
      },
    });
  }
}

/** A finite number, not negative: what a counter may add or a histogram observe. */
function isCount(value: number | null): value is number {
  return value !== null && Number.isFinite(value) && value >= 0;
}
