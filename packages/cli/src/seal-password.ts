import { sealSecret, vouchHolds, type SealedSecret, type SigningKey } from '@fleet/core';
import type { AgentInfo } from '@fleet/store';
import type { CliContext } from './context.js';
import type { NodeSealingRecord } from './node-sealing-record.js';

/**
 * The live agents that may receive one job's `--ask-sudo-pass`: those whose
 * sealing key this user's OWN signing key vouched for, for this deployment and
 * prefix, and that may run one of the job's children: an agent on the
 * controller's side (it serves no entry), or a node's agent serving one of
 * the job's host entries whose key is the one `fleet deploy` last sent there
 * (`recorded`, kept on this machine). Not the keys of FLEET_TRUSTED_KEYS:
 * those say whose jobs an agent runs, and a colleague's agent holding a copy
 * could open it. An agent a Redis writer registered has no such vouch and is
 * left out; one carrying a node agent's old key and vouch (a key file copied
 * before a redeploy or undeploy) too; and a node the job never touches gets
 * no copy, so its key file opens no password but those of jobs that run there.
 */
export async function vouchedAgents(
  context: CliContext,
  key: SigningKey,
  deployment: string,
  entries: readonly string[],
  recorded: Pick<NodeSealingRecord, 'publicKey'>,
): Promise<AgentInfo[]> {
  const own = { id: key.id, key: key.publicKey, comment: 'this user' };
  // The deployment's base prefix: an agent's identity is the same on every shard.
  const prefix = context.store.keys.coordinatorPrefix;
  const chosen: AgentInfo[] = [];
  for (const agent of agentsForEntries(await context.store.agents.list(), entries)) {
    const scope = { deployment, prefix, agentId: agent.serves ?? agent.id };
    if (!vouchHolds(agent.sealing, scope, (id) => (id === own.id ? own : undefined))) continue;
    if (agent.serves !== null && agent.sealing?.publicKey !== (await recorded.publicKey({ deployment, prefix, entry: agent.serves }))) {
      continue;
    }
    chosen.push(agent);
  }
  return chosen;
}

/** The agents that may run a child on one of `entries`: every controller-side agent, and the node agents serving one of them. */
export function agentsForEntries<Agent extends Pick<AgentInfo, 'serves'>>(agents: readonly Agent[], entries: readonly string[]): Agent[] {
  const wanted = new Set(entries);
  return agents.filter((agent) => agent.serves === null || wanted.has(agent.serves));
}

/**
 * Seals the password to each of these agents for one top-level job (for the
 * deployment's base prefix, as agents open it on any shard), and stores only
 * the sealed copies, on the job's shard (`context.store`).
 */
export async function sealPassword(
  context: CliContext,
  agents: readonly AgentInfo[],
  job: { deployment: string; rootId: number; expiresAt: number },
  password: string,
): Promise<void> {
  const secret = Buffer.from(password, 'utf8');
  const copies = new Map<string, SealedSecret>();
  for (const agent of agents) {
    if (agent.sealing === undefined) continue;
    const sealedFor = { deployment: job.deployment, prefix: context.store.keys.coordinatorPrefix, agentId: agent.id, jobId: job.rootId };
    copies.set(agent.id, sealSecret(secret, agent.sealing.publicKey, sealedFor));
  }
  secret.fill(0);
  await context.store.sealed.put(job.rootId, copies, job.expiresAt);
}
