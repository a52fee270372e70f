// `@fleet/agent/metrics`: loaded by `fleet agent --metrics` only, so that prom-client is parsed by no other agent.
export * from './agent-metrics.js';
export * from './metrics-listener.js';
export * from './serve-agent-metrics.js';
