import { DEFAULTS, NODE_SEALING_FILE, parseComputerNames, positiveInteger, settledWithin, UsageError } from '@fleet/core';
import { join } from 'node:path';
import { describeTarget, ensurePrivateStateDir, FleetShards, openRedis, redisSettingsWarnings, resolveDeployment } from '@fleet/store';
import type { MetricsAddress, ServedAgentMetrics } from '@fleet/agent/metrics';
import type { Argv } from 'yargs';
import { isEmbeddedTarget, settingsFrom, withContext, type GlobalArgs } from '../context.js';
import { metricsExposureWarning, metricsHostNames, parseMetricsAddress } from '../metrics-address.js';
import { machineNames } from '../serve/machine-names.js';
import { stopAgents } from '../stop-agents.js';

interface AgentArgs extends GlobalArgs {
  action?: string;
  agents?: string[];
  all: boolean;
  concurrency: number;
  serve?: string;
  'idle-timeout'?: number;
  metrics?: string;
  'run-nothing': boolean;
}

export const agentCommand = {
  command: 'agent [action] [agents..]',
  describe: 'Run an agent in the foreground: it takes jobs from the queue and runs them; `agent stop ID|--all` drains and stops agents',
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .positional('action', {
        type: 'string',
        choices: ['stop'],
        describe: 'stop: drain the agents named (or --all) and wait until they exit',
      })
      .positional('agents', { type: 'string', array: true, describe: 'Agent ids, as fleet agents lists them' })
      .option('all', { type: 'boolean', default: false, describe: 'With stop: every live agent' })
      .option('concurrency', { type: 'number', default: DEFAULTS.agentConcurrency, describe: 'Jobs to run at once' })
      .option('serve', { type: 'string', describe: 'Serve one host entry: run its children on this node (what fleet deploy starts)' })
      .option('idle-timeout', { type: 'number', describe: 'Exit after this many seconds without work (default: never)' })
      .option('metrics', {
        type: 'string',
        describe: 'Serve Prometheus metrics at http://[ADDR:]PORT/metrics (loopback unless ADDR is given; port 0: any free port)',
      })
      .option('run-nothing', {
        type: 'boolean',
        default: false,
        describe:
          "Run no command: every child it takes ends Completed at once (measures fleet's own overhead, as bench/control-plane.ts does)",
      })
      .example('$0 agent --concurrency 16', 'run up to 16 jobs at once until Ctrl-C')
      .example('$0 agent --metrics 9464', 'and serve its metrics at http://127.0.0.1:9464/metrics')
      .example('$0 agent stop --all', 'let every agent finish its jobs and exit (a new one starts with the next job)'),
  handler: async (argv: AgentArgs) => {
    if (argv.action === 'stop' && argv.metrics !== undefined)
      throw new UsageError('--metrics goes with running an agent, not fleet agent stop');
    if (argv.action === 'stop') {
      await withContext(argv, (context) => stopAgents(context, (argv.agents ?? []).map(String), argv.all));
      return;
    }
    if ((argv.agents ?? []).length > 0 || argv.all) throw new UsageError('agent ids and --all go with fleet agent stop');
    const concurrency = positiveInteger(String(argv.concurrency), '--concurrency');
    const served = argv.serve === undefined ? [] : parseComputerNames(argv.serve, '--serve');
    if (served.length > 1) throw new UsageError('--serve takes one host entry');
    if (served[0]?.local) {
      throw new UsageError(
        '--serve localhost: localhost jobs are run by agents on the shared queue; --serve takes the entry of a node, as fleet deploy names it',
      );
    }
    const serves = served[0]?.raw ?? null;
    const metricsAddress = argv.metrics === undefined ? null : parseMetricsAddress(argv.metrics);
    const settings = settingsFrom(argv);
    // Agents of several prefixes and Redis servers may share one log: each line says which it comes from.
    let redisEndpoint = 'Redis not opened yet';
    const log = (line: string) =>
      process.stderr.write(`${new Date().toISOString()} fleet agent [prefix ${settings.prefix}, ${redisEndpoint}]: ${line}\n`);
    // Listening first, before the trust list and Redis: a port in use is a usage error, and nothing has started.
    const metrics = metricsAddress === null ? null : await serveMetrics(metricsAddress, log);
    try {
      await runAgent();
    } finally {
      await metrics?.listener.close();
    }

    async function runAgent(): Promise<void> {
      // Loaded here, not at the top: only `fleet agent` needs the agent and ssh2.
      const { deployedAgentSealing, ownAgentSealing, RanDirectory, readSigningKey, startAgent, TrustStore } = await import('@fleet/agent');
      if (argv['run-nothing']) log('--run-nothing: every child this agent takes ends Completed without its command being run');
      // Before Redis: an agent whose trust list cannot be read must not start.
      const trust = await TrustStore.open({ signingKeyPath: settings.signingKeyPath, trustedKeysPath: settings.trustedKeysPath, log });
      if (trust.trustedKeyIds.length === 0) {
        log(`no key is trusted yet: jobs are refused until ${settings.trustedKeysPath} lists one, or this user runs fleet once`);
      }
      // What this agent ran (ran/) stops a replay, and its pin (deployments/) a planted deployment id:
      // kept where no other user can delete or plant entries, checked before anything else.
      await ensurePrivateStateDir(settings.stateDir);
      const redis = await openRedis(settings, 'agent');
      redisEndpoint = describeTarget(redis.target);
      for (const warning of await redisSettingsWarnings(redis.client, { embedded: isEmbeddedTarget(settings, redis.target) })) {
        log(`warning: ${warning}`);
      }
      const shards = new FleetShards({
        client: redis.client,
        prefix: settings.prefix,
        heartbeatTtlMs: DEFAULTS.heartbeatTtlMs,
        count: settings.shards,
      });
      const store = shards.coordinator;
      // Refuses to start when Redis holds another deployment id than the one pinned here.
      const deployment = await resolveDeployment({
        client: redis.client,
        keys: store.keys,
        target: redis.target,
        named: settings.deployment,
        stateDir: settings.stateDir,
      }).catch(async (error: unknown) => {
        await shards.close();
        redis.client.disconnect();
        throw error;
      });
      const ranMemory = await RanDirectory.open({ dir: join(settings.stateDir, 'ran'), log });
      // This user's own agent vouches for its sealing key with this user's signing key; a node's agent
      // has the key and vouch fleet deploy sent into its state directory.
      const sealing =
        serves === null
          ? ownAgentSealing(await readSigningKey(settings.signingKeyPath), deployment, settings.prefix)
          : await deployedAgentSealing(join(settings.stateDir, NODE_SEALING_FILE), log);
      const agent = await startAgent({
        shards,
        trust,
        deployment,
        ranMemory,
        sealing,
        connectAnother: () => redis.connectAnother(),
        concurrency,
        serves,
        idleTimeoutMs: argv['idle-timeout'] === undefined ? null : argv['idle-timeout'] * 1000,
        stopGraceMs: settings.stopGraceMs,
        drainGraceMs: settings.drainGraceMs,
        threadLimit: settings.threadLimit,
        redisEndpoint,
        log,
        ...(metrics === null ? {} : { observer: metrics.metrics }),
        runNothing: argv['run-nothing'],
      });
      metrics?.metrics.watch(agent);
      // The first SIGTERM or SIGINT drains (an upgrade, systemd's stop, Ctrl-C), the second stops the
      // running jobs now, a third leaves at once.
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals += 1;
        if (signals === 1) {
          log(`${signal}: draining (a second SIGTERM or SIGINT stops the running jobs now)`);
          void agent.drain();
        } else if (signals === 2) {
          log(`${signal} again: stopping the running jobs now (they fail: agent shut down), then exiting`);
          void agent.close();
        } else {
          process.exit(130);
        }
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      await agent.closed;
      // Bounded, as the agent's close is: with Redis away, a queue's close and QUIT wait for it for ever.
      await settledWithin(shards.close(), DEFAULTS.agentCloseStepMs);
      await settledWithin(redis.client.quit(), DEFAULTS.agentCloseStepMs);
      redis.client.disconnect();
      // Graceful first, then forceful: with Redis away, BullMQ can leave a timer
      // behind (a reconnection, a lock renewal) that would keep the process alive.
      // Unreferenced, so that a clean exit does not wait for it.
      setTimeout(() => {
        log(`exiting with ${process.getActiveResourcesInfo().join(', ')} still open`);
        process.exit();
      }, DEFAULTS.agentCloseStepMs).unref();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

/** `--metrics`: listens (loaded here only: no agent without it parses prom-client), says where, and warns beyond loopback. */
async function serveMetrics(address: MetricsAddress, log: (line: string) => void): Promise<ServedAgentMetrics> {
  const { serveAgentMetrics } = await import('@fleet/agent/metrics');
  const served = await serveAgentMetrics(address, { hostNames: (bound) => metricsHostNames(address.host, bound, machineNames), log });
  log(`metrics at ${served.listener.url}`);
  const warning = metricsExposureWarning(address.host, served.listener.url);
  if (warning !== null) log(warning);
  return served;
}
