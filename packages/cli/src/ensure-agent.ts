import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { sshConfigFiles } from '@fleet/agent';
import { AgentUnavailableError, chooseAgents, DEFAULTS, UnsafePathError, type AgentChoice } from '@fleet/core';
import { ensurePrivateStateDir, publishControl, targetToUrl } from '@fleet/store';
import { forTerminal } from './format/terminal-text.js';
import type { CliContext } from './context.js';
import { CLI_BIN } from './package-files.js';

/**
 * Makes sure an agent on the shared queue is alive before a job is queued (SPEC §6): when none
 * is, starts a detached local agent that outlives this CLI and exits on its
 * own after FLEET_AGENT_IDLE without work. A lock in Redis keeps concurrent
 * CLIs from starting one each.
 */
export async function ensureAgent(context: CliContext): Promise<void> {
  const { store, settings } = context;
  const sshConfig = sshConfigFiles(process.env).userFile;
  // Only an agent on the shared queue counts (one deployed on a node runs that node's children only),
  // and of those only one that reads the SSH configuration this CLI does (core's agent-choice.ts).
  const sharedAgents = async () => (await store.agents.list()).filter((agent) => agent.serves === null);
  const sharedAgentAlive = async () => chooseAgents(await sharedAgents(), sshConfig).matching.length > 0;
  const agents = await sharedAgents();
  const choice = chooseAgents(agents, sshConfig);
  for (const agent of agents.filter((each) => each.runsNothing === true && choice.matching.includes(each.id))) {
    const warning = `fleet: warning: agent ${agent.id} runs nothing (fleet agent --run-nothing): the children it takes end Completed without being run`;
    process.stderr.write(`${forTerminal(process.stderr, warning)}\n`);
  }
  await setAsideOtherConfigurations(context, choice, sshConfig);
  if (choice.matching.length > 0) return;
  const logFile = join(settings.stateDir, 'agent.log');
  // A state directory someone else controls is refused outright (exit 2), before the spawn lock is taken.
  await ensurePrivateStateDir(settings.stateDir).catch((error: unknown) => {
    throw error instanceof UnsafePathError ? error : cannotStart(error);
  });
  const won = await store.client.set(store.keys.agentSpawnLock, String(process.pid), 'PX', DEFAULTS.agentSpawnLockMs, 'NX');
  if (won === 'OK') await spawnAgent(context, logFile);
  const deadline = Date.now() + DEFAULTS.agentSpawnWaitMs;
  while (Date.now() < deadline) {
    if (await sharedAgentAlive()) {
      if (won === 'OK') await store.client.del(store.keys.agentSpawnLock);
      return;
    }
    await delay(50);
  }
  throw new AgentUnavailableError('no agent is running and the one fleet started did not come up', {
    hint: `see ${logFile}, or run 'fleet agent' yourself`,
  });
}

/**
 * Agents fleet started with another SSH configuration are told to drain, and
 * this waits until each says it takes no new work (or is gone), so that the
 * job about to be queued cannot go to one of them; of agents run by hand
 * with another configuration, the CLI warns.
 */
async function setAsideOtherConfigurations(context: CliContext, choice: AgentChoice, sshConfig: string): Promise<void> {
  const { store } = context;
  const say = (text: string) => process.stderr.write(`${forTerminal(process.stderr, `fleet: ${text}`)}\n`);
  for (const agent of choice.warn) {
    say(
      `warning: agent ${agent.id}, run by hand, reads SSH configuration ${agent.sshConfig}, not ${sshConfig}: it may take these jobs (fleet agent stop ${agent.id})`,
    );
  }
  if (choice.drain.length === 0) return;
  const ids = choice.drain.map((agent) => agent.id);
  for (const agent of choice.drain)
    say(`agent ${agent.id} reads SSH configuration ${agent.sshConfig}, not ${sshConfig}: it is told to finish its jobs and exit`);
  await publishControl(store.client, store.keys, { op: 'drain', agents: ids });
  const deadline = Date.now() + DEFAULTS.agentSpawnWaitMs;
  while (Date.now() < deadline) {
    const still = (await store.agents.list()).filter((agent) => ids.includes(agent.id) && agent.draining !== true);
    if (still.length === 0) return;
    await delay(50);
  }
  throw new AgentUnavailableError(`agent ${ids.join(', ')} did not take the request to drain`, {
    hint: `stop it with fleet agent stop, or set FLEET_SSH_CONFIG as it had it`,
  });
}

async function spawnAgent(context: CliContext, logFile: string): Promise<void> {
  // Without its log there is nowhere to say why an agent failed: no agent, exit 3.
  const log = await open(logFile, 'a').catch((error: unknown) => {
    throw cannotStart(error);
  });
  try {
    const child = spawn(process.execPath, [CLI_BIN, 'agent', '--idle-timeout', String(context.settings.agentIdleMs / 1000)], {
      detached: true,
      cwd: homedir(),
      stdio: ['ignore', log.fd, log.fd],
      env: {
        ...process.env,
        // A cluster is named by FLEET_REDIS_CLUSTER, which the agent inherits as it is.
        ...(context.target.kind === 'cluster' ? {} : { FLEET_REDIS_URL: targetToUrl(context.target) }),
        FLEET_PREFIX: context.settings.prefix,
      },
    });
    child.unref();
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => reject(new AgentUnavailableError(`cannot start an agent: ${error.message}`, { cause: error })));
    });
  } finally {
    await log.close();
  }
}

function cannotStart(error: unknown): AgentUnavailableError {
  return new AgentUnavailableError(`cannot start an agent: ${error instanceof Error ? error.message : String(error)}`, {
    hint: "check FLEET_STATE_DIR, or run 'fleet agent' yourself",
    cause: error,
  });
}
