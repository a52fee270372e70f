import { readFile } from 'node:fs/promises';
import { parseTrustedKeys, sealSecret, vouchHolds, type PublicSigningKey, type SealedSecret, type SigningKey } from '@fleet/core';
import type { AgentInfo } from '@fleet/store';
import type { CliContext } from './context.js';

/**
 * The live agents that may receive `--ask-sudo-pass`: those whose sealing key
 * a key this user trusts vouched for (this user's own key, or one in
 * FLEET_TRUSTED_KEYS), for this deployment and prefix. An agent a Redis
 * writer registered has no such vouch and is left out.
 */
export async function vouchedAgents(context: CliContext, key: SigningKey, deployment: string): Promise<AgentInfo[]> {
  const trusted = new Map<string, PublicSigningKey>([[key.id, { id: key.id, key: key.publicKey, comment: 'this user' }]]);
  const path = context.settings.trustedKeysPath;
  const text = await readFile(path, 'utf8').catch(() => '');
  for (const other of parseTrustedKeys(text, path)) trusted.set(other.id, other);
  const prefix = context.store.keys.prefix;
  return (await context.store.agents.list()).filter((agent) =>
    vouchHolds(agent.sealing, { deployment, prefix, agentId: agent.serves ?? agent.id }, (id) => trusted.get(id)),
  );
}

/** Seals the password to each of these agents for one top-level job, and stores only the sealed copies. */
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
    const sealedFor = { deployment: job.deployment, prefix: context.store.keys.prefix, agentId: agent.id, jobId: job.rootId };
    copies.set(agent.id, sealSecret(secret, agent.sealing.publicKey, sealedFor));
  }
  secret.fill(0);
  await context.store.sealed.put(job.rootId, copies, job.expiresAt);
}
