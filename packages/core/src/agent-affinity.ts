import { createHash } from 'node:crypto';

/** An agent that may take routed work, and how much of it (its concurrency). */
export interface AffinityAgent {
  id: string;
  weight: number;
}

/**
 * How far above its fair share an agent's part of one dispatch may go before
 * the next host goes to its next choice: 1.25 keeps nine hosts in ten on the
 * agent they hash to, and no agent more than a quarter busier than the rest.
 */
export const AFFINITY_SLACK = 1.25;

/**
 * The BullMQ queue of one agent's routed work: the children whose host it
 * is the one to serve (see {@link assignByAffinity}).
 */
export function agentQueueName(agentId: string): string {
  return `agent-${createHash('sha256').update(agentId).digest('hex').slice(0, 24)}`;
}

/** Whether a BullMQ queue name is an agent's own (see {@link agentQueueName}). */
export function isAgentQueueName(name: string): boolean {
  return /^agent-[0-9a-f]{24}$/.test(name);
}

/**
 * Events BullMQ keeps in an agent queue's event stream (its default is
 * 10,000). fleet reads none of them, and each agent that ever ran has a
 * queue: one killed before it could remove its queue leaves at most this many.
 */
export const AGENT_QUEUE_EVENTS = 64;

/**
 * Which agent takes each key (a host entry): the same agent for the same key
 * from one dispatch to the next while the agents stay the same, so that the
 * agent holding a host's SSH connection is the one that runs its next
 * command. Rendezvous hashing (each key ranks every agent by a hash of the
 * pair; the top one wins) with bounded loads: an agent already holding
 * `slack` times its share of this dispatch (by weight) is passed over for
 * the key's next choice. An agent coming or going moves only the keys it
 * wins or held. Keys repeat as often as they are given (a host listed twice
 * counts twice, both on one agent).
 */
export function assignByAffinity(
  keys: readonly string[],
  agents: readonly AffinityAgent[],
  slack: number = AFFINITY_SLACK,
): Map<string, string> {
  const assigned = new Map<string, string>();
  const usable = agents.filter((agent) => agent.weight > 0);
  if (usable.length === 0) return assigned;
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  const totalWeight = usable.reduce((sum, agent) => sum + agent.weight, 0);
  const load = new Map(usable.map((agent) => [agent.id, 0]));
  const capacity = (agent: AffinityAgent) => Math.ceil((keys.length * slack * agent.weight) / totalWeight);
  const agentHashes = usable.map((agent) => ({ agent, hash: stringHash(agent.id, 0x9e3779b9) }));
  // Keys in a fixed order (not the caller's), so that the same set of keys always lands the same way.
  for (const key of [...counts.keys()].sort()) {
    const count = counts.get(key) as number;
    const keyHash = stringHash(key, 0x85ebca6b);
    const ranked = agentHashes
      .map(({ agent, hash }) => ({ agent, score: rendezvousScore(keyHash, hash, agent.weight) }))
      .sort((a, b) => b.score - a.score || (a.agent.id < b.agent.id ? -1 : 1));
    const chosen = ranked.find(({ agent }) => (load.get(agent.id) as number) + count <= capacity(agent)) ?? ranked[0];
    const id = (chosen as { agent: AffinityAgent }).agent.id;
    assigned.set(key, id);
    load.set(id, (load.get(id) as number) + count);
  }
  return assigned;
}

/**
 * Weighted rendezvous score: -weight / ln(u), u uniform in (0, 1) from the
 * pair's hash, so that an agent of twice the weight wins twice as many keys.
 * Not a cryptographic hash: host names are signed, and agents' ids are
 * theirs; what matters is an even spread, at a cost a 1,000-host dispatch
 * does not notice.
 */
function rendezvousScore(keyHash: number, agentHash: number, weight: number): number {
  const high = finalMix(keyHash ^ agentHash);
  const low = finalMix(high ^ Math.imul(agentHash, 0x27d4eb2d) ^ keyHash);
  const unit = ((high >>> 0) * 2 ** 21 + (low >>> 11) + 1) / (2 ** 53 + 1);
  return -weight / Math.log(unit);
}

/** A 32-bit hash of a string's UTF-16 units (FNV-1a, then MurmurHash3's final mix). */
function stringHash(text: string, seed: number): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let index = 0; index < text.length; index += 1) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return finalMix(hash);
}

/** MurmurHash3's fmix32: every input bit flips each output bit with probability about one half. */
function finalMix(value: number): number {
  let hash = value;
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}
