import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { AgentUnavailableError, DEFAULTS, UnsafePathError } from '@fleet/core';
import { ensurePrivateStateDir, targetToUrl } from '@fleet/store';
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
  // Only an agent on the shared queue counts: one deployed on a node runs that node's children only.
  const sharedAgentAlive = async () => (await store.agents.list()).some((agent) => agent.serves === null);
  if (await sharedAgentAlive()) return;
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
