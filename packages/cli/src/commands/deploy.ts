import { setTimeout as delay } from 'node:timers/promises';
import {
  DEFAULTS,
  DeployRefused,
  FLEET_VERSION,
  formatPublicKey,
  generateSealingKey,
  nodeAgentLayout,
  nodeSealingFile,
  positiveInteger,
  type ContentManifest,
  type HostEntry,
} from '@fleet/core';
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
import { NodeSealingRecord } from '../node-sealing-record.js';
import { AGENT_BUNDLE, THREAD_WORKER } from '../package-files.js';
import { askToDrain, untilAgentsGone } from '../drain-by-message.js';

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
      // Which sealing key each node's agent got from here: the CLI seals passwords to that key only.
      const record = NodeSealingRecord.inStateDir(context.settings.stateDir);
      const redisFor = await nodeRedisSettings(context.store.client, context.target, context.settings.prefix, hosts, choice);
      const pool = new SshPool();
      // Each local file is hashed once for all the nodes that take it over exec.
      const hashed = new Map<string, Promise<ContentManifest>>();
      try {
        const results = await perHost(hosts, async (entry) => {
          const redis = redisFor(entry);
          // The agents serving it now: an upgraded one is told to drain (before the restart under
          // systemd, once its successor reports in otherwise).
          const before = (await context.store.agents.list()).filter((agent) => agent.serves === entry.raw);
          const connectTimeoutMs = argv['connect-timeout'] === undefined ? null : argv['connect-timeout'] * 1000;
          let drainedFirst = '';
          const sealingScope = { deployment, prefix: context.settings.prefix, entry: entry.raw };
          // A fresh pair at each install or upgrade, vouched for the entry: its id changes at each restart.
          const sealing = generateSealingKey();
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
            sealingFile: nodeSealingFile(key, { deployment, prefix: context.settings.prefix, agentId: entry.raw }, sealing),
            recordedSealingKey: (await record.publicKey(sealingScope)) ?? null,
            signingKeyId: key.id,
            concurrency,
            drainGraceMs: context.settings.drainGraceMs,
            beforeSystemdRestart: async () => {
              drainedFirst = await drainUnitAgent(context.store, entry.raw, before, context.settings.drainGraceMs);
            },
            shipNode: argv['ship-node'],
            controller: { platform: process.platform, arch: process.arch, version: FLEET_VERSION },
            connectTimeoutMs,
            hashed,
          });
          // The node now holds the new key (an older agent's vouch no longer gets a password), whether or not its agent reports in.
          if (outcome.status !== 'current') await record.set(sealingScope, sealing.publicKey);
          const replaced = outcome.status === 'current' ? new Set<string>() : new Set(before.map((agent) => agent.id));
          const agent = await agentServing(context.store, entry.raw, DEFAULTS.deployReportWaitMs, replaced);
          if (agent === null) {
            const look =
              outcome.status !== 'current' && outcome.supervisor === 'systemd'
                ? `systemctl --user status ${nodeAgentLayout(entry.raw).unit} and ~/${nodeAgentLayout(entry.raw).dir}/agent.log there`
                : `~/${nodeAgentLayout(entry.raw).dir}/agent.log there`;
            const still = (await context.store.agents.list()).filter((each) => each.serves === entry.raw);
            return {
              entry: entry.raw,
              ok: false,
              words: `no agent at ${FLEET_VERSION} reported in within ${DEFAULTS.deployReportWaitMs / 1000}s (see ${look})${drainedFirst}${stillServing(still)}`,
            };
          }
          if (outcome.status === 'current')
            return { entry: entry.raw, ok: true, words: `already at ${outcome.version}, running (agent ${agent.id})` };
          const what =
            outcome.status === 'installed'
              ? `installed ${outcome.version}`
              : outcome.rekeyed
                ? `restarted ${outcome.version} with a new sealing key`
                : outcome.from === outcome.version
                  ? `restarted ${outcome.version} with new Redis credentials`
                  : `upgraded ${outcome.from} to ${outcome.version}`;
          const how = `${outcome.supervisor === 'systemd' ? 'systemd user unit' : 'detached process'}${outcome.shippedNode ? ", this machine's Node sent" : ''}${outcome.transport === 'exec' ? ', files over an exec channel: no SFTP there' : ''}`;
          const user = redis.aclUser === null ? '' : `; Redis user ${redis.aclUser}`;
          const drained =
            outcome.replacedPid === null
              ? drainedFirst
              : await drainReplaced(context.store, pool, entry, outcome.replacedPid, connectTimeoutMs);
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
      const deployment = await controllerDeployment(context);
      const record = NodeSealingRecord.inStateDir(context.settings.stateDir);
      const pool = new SshPool();
      try {
        const results = await perHost(hosts, async (entry) => {
          if (entry.local) throw new DeployRefused('localhost runs on this machine; there is no agent to remove', entry.raw);
          const present = await undeployAgent(pool, entry, argv['connect-timeout'] === undefined ? null : argv['connect-timeout'] * 1000);
          // Its key is gone from the node: a copy of it kept elsewhere gets no password from now on.
          await record.set({ deployment, prefix: context.settings.prefix, entry: entry.raw }, null);
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
 * the node's work, and says what it still runs: by the control message, which
 * agents of earlier versions honour too; SIGTERM only when it does not answer.
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
  const jobs = (agent: AgentInfo) => (agent.running === 0 ? 'exits' : `drains its ${agent.running} job(s), then exits`);
  if (old !== undefined && (await askToDrain(store, [old.id], DEFAULTS.drainAnswerWaitMs))) return `; the old agent ${old.id} ${jobs(old)}`;
  if (!(await drainReplacedAgent(pool, entry, pid, connectTimeoutMs))) return '';
  if (old === undefined) return `; the old agent (pid ${pid}, not reporting to this Redis) was sent SIGTERM`;
  return `; the old agent ${old.id} did not answer the drain message within ${DEFAULTS.drainAnswerWaitMs / 1000}s and was sent SIGTERM${
    old.running === 0 ? '' : ` (an agent older than the drain fails its ${old.running} job(s): agent shut down)`
  }`;
}

/**
 * Under systemd, before the unit's restart: one unit runs one agent, so the
 * old one is asked to drain by message and awaited (up to its grace and the
 * forced close after it), and only then restarted. An agent that does not
 * answer the message gets the restart's SIGTERM, as before.
 */
async function drainUnitAgent(store: FleetStore, entry: string, before: AgentInfo[], graceMs: number): Promise<string> {
  const ids = before.map((agent) => agent.id);
  if (ids.length === 0) return '';
  const running = before.reduce((sum, agent) => sum + agent.running, 0);
  if (!(await askToDrain(store, ids, DEFAULTS.drainAnswerWaitMs))) {
    return `; the old agent ${ids.join(', ')} did not answer the drain message and got systemd's SIGTERM${
      running === 0 ? '' : ` (an agent older than the drain fails its ${running} job(s): agent shut down)`
    }`;
  }
  if (running > 0) {
    process.stderr.write(
      `${forTerminal(process.stderr, `${entry}: the old agent ${ids.join(', ')} drains its ${running} job(s) before systemd starts the new one (up to ${Math.round(graceMs / 1000)}s)`)}\n`,
    );
  }
  const gone = await untilAgentsGone(store, ids, graceMs + DEFAULTS.drainAnswerWaitMs + DEFAULTS.agentCloseMs);
  if (!gone) return `; the old agent ${ids.join(', ')} was still there past its drain grace: systemd's restart stops it`;
  return running === 0
    ? `; the old agent ${ids.join(', ')} exited`
    : `; the old agent ${ids.join(', ')} drained its ${running} job(s) first`;
}

/** What still serves an entry, for a report that names no new agent. */
function stillServing(agents: AgentInfo[]): string {
  if (agents.length === 0) return '';
  return `; still serving it: ${agents.map((agent) => `${agent.id} (${agent.version}${agent.draining === true ? `, draining ${agent.running} job(s)` : ''})`).join(', ')}`;
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
    // A draining agent is on its way out: not the one that serves the entry from now on.
    const agent = (await store.agents.list()).find(
      (candidate) => candidate.serves === entry && !replaced.has(candidate.id) && (waitMs === 0 || candidate.draining !== true),
    );
    if (agent !== undefined && (waitMs === 0 || agent.version === FLEET_VERSION)) return agent;
    if (Date.now() >= deadline) return waitMs === 0 ? (agent ?? null) : null;
    await delay(DEFAULTS.agentPollMs);
  }
}
