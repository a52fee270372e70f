import { AgentMetrics } from './agent-metrics.js';
import { listenForMetrics, type MetricsAddress, type MetricsListener, type MetricsListenerOptions } from './metrics-listener.js';

/** `fleet agent --metrics`: the agent's metrics, already listened for. */
export interface ServedAgentMetrics {
  /** The agent's observer; `watch` it once the agent has started. */
  metrics: AgentMetrics;
  listener: MetricsListener;
}

/** Makes an agent's metrics and serves them at the address; a port that cannot be listened on is a UsageError. */
export async function serveAgentMetrics(address: MetricsAddress, options: MetricsListenerOptions): Promise<ServedAgentMetrics> {
  const metrics = new AgentMetrics();
  return { metrics, listener: await listenForMetrics(address, metrics, options) };
}
