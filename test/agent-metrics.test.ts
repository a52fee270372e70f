import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startForegroundAgent, type AgentJson } from './support/agents.js';
import type { FleetEnv } from './support/fleet-env.js';
import { until } from './support/poll.js';
import { parsePrometheus } from './support/prometheus-text.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(2);

const NODE_AGENT_BUNDLE = fileURLToPath(new URL('../packages/cli/dist/fleet-agent.mjs', import.meta.url));

/** A foreground `fleet agent --metrics` of the test's, registered, and where it serves its metrics. */
interface MetricsAgent {
  /** `http://127.0.0.1:PORT/metrics`, as the agent's log says (port 0 took a free one). */
  url: string;
  stderr(): string;
  /** Scrapes the metrics: every sample, and the text as served. */
  scrape(): Promise<{ samples: Map<string, number>; text: string }>;
  /** SIGTERMs the agent (it drains) and resolves with its exit code. */
  stop(): Promise<number | null>;
}

async function startMetricsAgent(env: FleetEnv, metrics = '0'): Promise<MetricsAgent> {
  const agent = await startForegroundAgent(env, ['--metrics', metrics]);
  // The port is learned from the agent's log line; the listener is up before the line is written.
  const url = await until(() => /: metrics at (http:\/\/\S+)\n/.exec(agent.stderr())?.[1], {
    what: `the metrics URL (stderr: ${agent.stderr()})`,
  });
  return {
    url,
    stderr: agent.stderr,
    scrape: async () => {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      return { samples: parsePrometheus(text), text };
    },
    stop: () => {
      agent.child.kill('SIGTERM');
      return agent.exited;
    },
  };
}

/** How much each sample moved between two scrapes (a sample absent before counts from 0). */
function movement(before: Map<string, number>, after: Map<string, number>): (name: string) => number {
  return (name) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
}

describe('fleet agent --metrics', () => {
  it('counts exactly the children of a fan-out it ran, their output, the SSH connections, one reused and one that failed', async () => {
    const { env, fleet } = ssh;
    const agent = await startMetricsAgent(env);
    expect(agent.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    // On loopback: no warning that anyone can read them.
    expect(agent.stderr()).not.toContain('readable by anyone');
    const { samples: before } = await agent.scrape();
    expect(before.get('fleet_children_started_total')).toBe(0);

    // Four children: localhost, and two on one host, which share its connection.
    const [first, second] = fleet.entries as [string, string];
    const run = await env.fleet(['invoke', '-c', `localhost,${first},${first},${second}`, '--', 'echo out']);
    expect(run.code, run.stderr).toBe(0);
    const { samples: after, text } = await agent.scrape();
    const moved = movement(before, after);
    expect(moved('fleet_children_started_total')).toBe(4);
    expect(moved('fleet_children_finished_total')).toBe(4);
    expect(moved('fleet_children_failed_total')).toBe(0);
    expect(after.get('fleet_agent_children_running')).toBe(0);
    expect(moved('fleet_agent_command_duration_seconds_count')).toBe(4);
    expect(moved('fleet_agent_queue_wait_seconds_count')).toBe(4);
    expect(moved('fleet_agent_output_bytes_total{stream="stdout"}')).toBe(4 * 'out\n'.length);
    expect(moved('fleet_agent_output_bytes_total{stream="stderr"}')).toBe(0);
    expect(moved('fleet_agent_ssh_connections_opened_total')).toBe(2);
    expect(moved('fleet_agent_ssh_connections_reused_total')).toBe(1);
    // Pooled, idle for up to 30 s (DEFAULTS.sshIdleMs) before they close.
    expect(after.get('fleet_agent_ssh_connections_open')).toBe(2);
    expect([...after.keys()].some((name) => name.startsWith('fleet_agent_ssh_connections_failed_total'))).toBe(false);
    expect(after.get('fleet_agent_heartbeat_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(after.has('process_cpu_seconds_total')).toBe(true);
    expect(after.has('nodejs_heap_size_used_bytes')).toBe(true);
    // No label names a host (nor the command).
    for (const entry of fleet.entries) expect(text).not.toContain(entry);
    expect(text).not.toContain('echo out');

    // A host that refuses the connection: one failure, by its reason, and a Failed child.
    await fleet.stopHost(1);
    await until(async () => (await agent.scrape()).samples.get('fleet_agent_ssh_connections_open') === 1, {
      what: "the pool to see the stopped host's connection end",
    });
    const refused = await env.fleet(['invoke', '-c', second, '--', 'echo out']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('connection refused');
    const { samples: last } = await agent.scrape();
    const movedAgain = movement(after, last);
    expect(movedAgain('fleet_children_started_total')).toBe(1);
    expect(movedAgain('fleet_children_finished_total')).toBe(1);
    expect(movedAgain('fleet_children_failed_total')).toBe(1);
    expect(movedAgain('fleet_agent_ssh_connections_failed_total{reason="refused"}')).toBe(1);
    expect(movedAgain('fleet_agent_ssh_connections_opened_total')).toBe(0);

    expect(await agent.stop()).toBe(0);
    // The port is released with the agent.
    await expect(fetch(agent.url)).rejects.toThrow();
  });

  it('shows a running child, and counts it Stopped once stopped', async () => {
    const { env } = ssh;
    const agent = await startMetricsAgent(env, ':0');
    const job = await env.json<JobJson>(['start', '--', env.sleep, '60']);
    await until(async () => (await agent.scrape()).samples.get('fleet_agent_children_running') === 1, { what: 'the child to be running' });
    const { samples: before } = await agent.scrape();
    expect((await env.fleet(['stop', String(job.id)])).code).toBe(0);
    await untilState(env, job.id, ['Stopped']);
    const { samples: after } = await agent.scrape();
    expect(after.get('fleet_agent_children_running')).toBe(0);
    expect(movement(before, after)('fleet_agent_children_stopped_total')).toBe(1);
    expect(movement(before, after)('fleet_children_finished_total')).toBe(1);
    expect(movement(before, after)('fleet_children_failed_total')).toBe(0);
    expect(await agent.stop()).toBe(0);
  });

  it('counts the bytes a push moved to each host', async () => {
    const { env, fleet } = ssh;
    const agent = await startMetricsAgent(env);
    const file = join(env.home, 'payload.bin');
    const size = 300_000;
    await writeFile(file, randomBytes(size));
    const { samples: before } = await agent.scrape();
    const pushed = await env.fleet(['push', '-c', fleet.entries.join(','), file, `~/${env.marker}.bin`]);
    expect(pushed.code, pushed.stderr).toBe(0);
    const { samples: after } = await agent.scrape();
    expect(movement(before, after)('fleet_agent_transfer_bytes_total')).toBe(size * fleet.entries.length);
    expect(await agent.stop()).toBe(0);
  });

  it('refuses a bad address, a port in use and a node agent bundle with exit 2, and lets go of its port on any exit', async () => {
    const { env } = ssh;
    const bad = await env.fleet(['agent', '--metrics', 'web1:9464']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('fleet: --metrics "web1:9464" is not ADDR:PORT');
    expect((await env.fleet(['agent', 'stop', '--all', '--metrics', '9464'])).code).toBe(2);

    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as AddressInfo;
      const inUse = await env.fleet(['agent', '--metrics', String(port)]);
      expect(inUse.code).toBe(2);
      expect(inUse.stderr).toContain(`fleet: --metrics 127.0.0.1:${port}: the port is in use (another program listens on it)`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }

    // Listening came first: an agent that then cannot reach Redis still exits (3), its port closed.
    const noRedis = await env.fleet(['agent', '--metrics', '0'], { env: { FLEET_REDIS_URL: 'redis://127.0.0.1:1' } });
    expect(noRedis.code, noRedis.stderr).toBe(3);
    expect(noRedis.stderr).toMatch(/: metrics at http:\/\/127\.0\.0\.1:\d+\/metrics\n/);

    // The bundle fleet deploy puts on nodes carries no metrics: said, not crashed.
    const onNode = await promisify(execFile)(process.execPath, [NODE_AGENT_BUNDLE, 'agent', '--metrics', '0'], { env: env.env }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(onNode.code).toBe(2);
    expect(onNode.stderr).toContain('fleet: --metrics is not in the agent bundle fleet deploy puts on nodes');
    expect(onNode.stderr).not.toMatch(/\n\s+at /);
    expect(await env.json<AgentJson[]>(['agents'])).toEqual([]);
  });
});
