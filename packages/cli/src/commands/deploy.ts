import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULTS, DeployRefused, FLEET_VERSION, formatPublicKey, nodeAgentLayout, positiveInteger, type HostEntry } from '@fleet/core';
import type { SshPool } from '@fleet/agent';
import type { AgentInfo, FleetStore } from '@fleet/store';
import pMap from 'p-map';
import type { Argv } from 'yargs';
import { hostFlags, hostsFromArgs } from '../command-args.js';
import { summaryLine } from '../format/host-summary.js';
import { forTerminal } from '../format/terminal-text.js';
import { withContext, type GlobalArgs } from '../context.js';
import { controllerDeployment } from '../deployment.js';
import { EXIT } from '../exit-codes.js';
import { nodeRedisChoice, nodeRedisSettings } from '../node-redis-settings.js';
import { AGENT_BUNDLE, THREAD_WORKER } from '../package-files.js';

interface DeployArgs extends GlobalArgs {
  'hosts-file'?: string;
  'computer-name'?: string[];
  exclude?: string[];
  inventory?: string[];
  user?: string;
  concurrency: number;
  'ship-node': boolean;
  'connect-timeout'?: number;
  'node-redis-url'?: string;
  'node-acl': boolean;
}

const hostOptions = (yargs: Argv<GlobalArgs>) =>
  hostFlags(yargs).option('connect-timeout', { type: 'number', describe: 'Give up connecting to a host after this many seconds' });

interface HostResult {
  entry: string;
  ok: boolean;
  words: string;
}

/** Runs `work` for every host, 16 at a time; a host whose work throws fails with the error's words. */
function perHost(hosts: HostEntry[], work: (entry: HostEntry) => Promise<HostResult>): Promise<HostResult[]> {
  return pMap(
    hosts,
    (entry) =>
      work(entry).catch((error: unknown) => ({
        entry: entry.raw,
        ok: false,
        words: error instanceof Error ? error.message : String(error),
      })),
    { concurrency: 16 },
  );
}

/** One line per host, then a summary on stderr, as `invoke` reports. */
function report(results: HostResult[], verb: string): number {
  // A step's words may quote what the host said: escaped on a terminal.
  for (const result of results) {
    const stream = result.ok ? process.stdout : process.stderr;
    stream.write(`${result.entry}: ${forTerminal(stream, result.words)}\n`);
  }
  const failed = results.filter((result) => !result.ok);
  const head = `${results.length - failed.length} of ${results.length} ${results.length === 1 ? 'host' : 'hosts'} ${verb}`;
  const summary = summaryLine(
    head,
    failed.map((result) => ({ state: 'failed', host: result.entry, reason: result.words })),
  );
  process.stderr.write(`${forTerminal(process.stderr, summary)}\n`);
  return failed.length === 0 ? EXIT.ok : EXIT.failed;
}

export const deployCommand = {
  command: 'deploy',
  describe: 'Install an agent on each node over SSH and start it; children for those nodes then run there, without SSH',
  builder: (yargs: Argv<GlobalArgs>) =>
    hostOptions(yargs)
      .option('concurrency', { type: 'number', default: DEFAULTS.agentConcurrency, describe: "Jobs each node's agent runs at once" })
      .option('ship-node', {
        type: 'boolean',
        default: false,
        describe: "Send this machine's Node binary even if the node has Node.js 20+",
      })
      .option('node-redis-url', {
        type: 'string',
        describe: "The Redis URL written into each node's agent.env instead of this machine's (default: FLEET_NODE_REDIS_URL)",
      })
      .option('node-acl', {
        type: 'boolean',
        default: false,
        describe: 'Make each node a Redis ACL user of its own (random password), so no node holds your Redis password',
      })
      .example('$0 deploy -f computers.txt --redis redis://10.0.0.5:6379', 'agents on every node, reporting to that Redis')
      .example('$0 deploy -f computers.txt --node-acl', 'each node with a Redis user of its own'),
  handler: async (argv: DeployArgs) => {
    const concurrency = positiveInteger(String(argv.concurrency), '--concurrency');
    const hosts = unique(await hostsFromArgs(argv['hosts-file'], argv['computer-name'], argv.user, argv.exclude, argv.inventory));
    const choice = nodeRedisChoice(argv['node-redis-url'], process.env.FLEET_NODE_REDIS_URL, argv['node-acl']);
    process.exitCode = await withContext(argv, async (context) => {
      const { SshPool, deployAgent, loadOrCreateSigningKey, keyComment } = await import('@fleet/agent');
      const key = await loadOrCreateSigningKey(context.settings.signingKeyPath);
      const trustedKey = formatPublicKey(key.publicKey, keyComment());
      // Written into each node's agent.env: a node agent never takes its deployment from Redis.
      const deployment = await controllerDeployment(context);
      const redisFor = await nodeRedisSettings(context.store.client, context.target, context.settings.prefix, hosts, choice);
      const pool = new SshPool();
      try {
        const results = await perHost(hosts, async (entry) => {
          const redis = redisFor(entry);
          // The agents serving it now: an upgraded one is told to drain once its successor reports in.
          const before = (await context.store.agents.list()).filter((agent) => agent.serves === entry.raw);
          const connectTimeoutMs = argv['connect-timeout'] === undefined ? null : argv['connect-timeout'] * 1000;
          const outcome = await deployAgent({
            pool,
            entry,
            bundlePath: AGENT_BUNDLE,
            threadWorkerPath: THREAD_WORKER,
            redisCaPath: context.settings.redisCa,
            agentEnv: { ...redis.env, FLEET_PREFIX: context.settings.prefix, FLEET_DEPLOYMENT: deployment },
            // New credentials reach a running agent only by writing its settings and restarting it.
            reconfigure: choice.nodeAcl || choice.nodeRedisUrl !== null,
            trustedKey,
            concurrency,
            drainGraceMs: context.settings.drainGraceMs,
            shipNode: argv['ship-node'],
            controller: { platform: process.platform, arch: process.arch, version: FLEET_VERSION },
            connectTimeoutMs,
          });
          const old = before[0];
          if (outcome.status !== 'current' && outcome.supervisor === 'systemd' && old !== undefined && old.running > 0) {
            // One unit, one agent: systemd starts the new one once the old one has drained.
            return {
              entry: entry.raw,
              ok: true,
              words: `upgrading to ${outcome.version} (systemd user unit): the old agent ${old.id} drains its ${old.running} job(s) first, then systemd starts the new one; jobs for it wait in its queue meanwhile`,
            };
          }
          const replaced = outcome.status === 'current' ? new Set<string>() : new Set(before.map((agent) => agent.id));
          const agent = await agentServing(context.store, entry.raw, DEFAULTS.deployReportWaitMs, replaced);
          if (agent === null)
            return {
              entry: entry.raw,
              ok: false,
              words: `the agent did not come up (see ~/${nodeAgentLayout(entry.raw).dir}/agent.log there)${old === undefined ? '' : `; the old agent ${old.id} runs on`}`,
            };
          if (outcome.status === 'current')
            return { entry: entry.raw, ok: true, words: `already at ${outcome.version}, running (agent ${agent.id})` };
          const what =
            outcome.status === 'installed'
              ? `installed ${outcome.version}`
              : outcome.from === outcome.version
                ? `restarted ${outcome.version} with new Redis credentials`
                : `upgraded ${outcome.from} to ${outcome.version}`;
          const how = `${outcome.supervisor === 'systemd' ? 'systemd user unit' : 'detached process'}${outcome.shippedNode ? ", this machine's Node sent" : ''}`;
          const user = redis.aclUser === null ? '' : `; Redis user ${redis.aclUser}`;
          const drained =
            outcome.replacedPid === null ? '' : await drainReplaced(context.store, pool, entry, outcome.replacedPid, connectTimeoutMs);
          return { entry: entry.raw, ok: true, words: `${what} (${how}; agent ${agent.id}${user})${drained}` };
        });
        return report(results, 'deployed');
      } finally {
        pool.close();
      }
    });
  },
};

export const undeployCommand = {
  command: 'undeploy',
  describe: 'Stop and remove the agent fleet deploy put on each node',
  builder: (yargs: Argv<GlobalArgs>) => hostOptions(yargs).example('$0 undeploy -c web1,web2', 'take the agents off two nodes'),
  handler: async (argv: Omit<DeployArgs, 'concurrency' | 'ship-node'>) => {
    const hosts = unique(await hostsFromArgs(argv['hosts-file'], argv['computer-name'], argv.user, argv.exclude, argv.inventory));
    process.exitCode = await withContext(argv, async (context) => {
      const { SshPool, undeployAgent } = await import('@fleet/agent');
      const pool = new SshPool();
      try {
        const results = await perHost(hosts, async (entry) => {
          if (entry.local) throw new DeployRefused('localhost runs on this machine; there is no agent to remove', entry.raw);
          const present = await undeployAgent(pool, entry, argv['connect-timeout'] === undefined ? null : argv['connect-timeout'] * 1000);
          const deadline = Date.now() + DEFAULTS.undeployWaitMs;
          while ((await agentServing(context.store, entry.raw, 0)) !== null) {
            if (Date.now() > deadline) return { entry: entry.raw, ok: false, words: 'removed, but its agent still reports in' };
            await delay(DEFAULTS.agentPollMs);
          }
          return { entry: entry.raw, ok: true, words: present ? 'agent stopped and removed' : 'no agent was deployed there' };
        });
        return report(results, 'undeployed');
      } finally {
        pool.close();
      }
    });
  },
};

function unique(hosts: HostEntry[]): HostEntry[] {
  const seen = new Set<string>();
  return hosts.filter((host) => !seen.has(host.raw) && seen.add(host.raw));
}

/**
 * Tells the agent an upgrade replaced to drain, now that its successor takes
 * the node's work, and says what it still runs.
 */
async function drainReplaced(
  store: FleetStore,
  pool: SshPool,
  entry: HostEntry,
  pid: number,
  connectTimeoutMs: number | null,
): Promise<string> {
  const { drainReplacedAgent } = await import('@fleet/agent');
  const old = (await store.agents.list()).find((agent) => agent.serves === entry.raw && agent.pid === pid);
  if (!(await drainReplacedAgent(pool, entry, pid, connectTimeoutMs))) return '';
  if (old === undefined) return '; the old agent drains and exits';
  return old.running === 0 ? `; the old agent ${old.id} exits` : `; the old agent ${old.id} drains its ${old.running} job(s), then exits`;
}

/**
 * The live agent serving an entry at this version (none of `replaced`), waiting up to `waitMs` for it to report in.
 */
async function agentServing(
  store: FleetStore,
  entry: string,
  waitMs: number,
  replaced: Set<string> = new Set(),
): Promise<AgentInfo | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const agent = (await store.agents.list()).find((candidate) => candidate.serves === entry && !replaced.has(candidate.id));
    if (agent !== undefined && (waitMs === 0 || agent.version === FLEET_VERSION)) return agent;
    if (Date.now() >= deadline) return waitMs === 0 ? (agent ?? null) : null;
    await delay(DEFAULTS.agentPollMs);
  }
}
