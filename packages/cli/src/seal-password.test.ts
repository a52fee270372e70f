import { generateSealingKey, generateSigningKey, vouchFor } from '@fleet/core';
import type { AgentInfo } from '@fleet/store';
import { describe, expect, it } from 'vitest';
import type { CliContext } from './context.js';
import { vouchedAgents } from './seal-password.js';

const PREFIX = 'fleet-test';

/** An agent entry whose sealing key `voucher` vouched for (for the entry it serves, a node's agent). */
function agentVouchedBy(id: string, voucher: ReturnType<typeof generateSigningKey>, serves: string | null = null): AgentInfo {
  const sealing = vouchFor(voucher, { deployment: '', prefix: PREFIX, agentId: serves ?? id }, generateSealingKey().publicKey);
  return { id, serves, sealing } as unknown as AgentInfo;
}

/** A record of the keys deploy sent: those of `agents`, as deploy records them. */
function recordOf(...agents: AgentInfo[]) {
  const keys = new Map(agents.map((agent) => [agent.serves, agent.sealing?.publicKey]));
  return { publicKey: ({ entry }: { entry: string }) => Promise.resolve(keys.get(entry)) };
}

function contextWith(agents: AgentInfo[]): CliContext {
  return {
    store: { keys: { prefix: PREFIX, coordinatorPrefix: PREFIX }, agents: { list: () => Promise.resolve(agents) } },
  } as unknown as CliContext;
}

describe('vouchedAgents', () => {
  it('takes only agents vouched for by this user own key, not by a trusted colleague', async () => {
    const mine = generateSigningKey();
    const colleague = generateSigningKey();
    const agents = [agentVouchedBy('mine-1', mine), agentVouchedBy('colleague-1', colleague)];
    // A colleague's key in FLEET_TRUSTED_KEYS would say whose jobs an agent runs; it must not get the password.
    expect((await vouchedAgents(contextWith(agents), mine, '', [], recordOf())).map((agent) => agent.id)).toEqual(['mine-1']);
  });

  it("takes the node agents of the job's own entries only, and every agent on the controller's side", async () => {
    const mine = generateSigningKey();
    const agents = [
      agentVouchedBy('web1-agent', mine, 'web1'),
      agentVouchedBy('web2-agent', mine, 'web2'),
      agentVouchedBy('local-1', mine),
    ];
    expect((await vouchedAgents(contextWith(agents), mine, '', ['web1', 'web3'], recordOf(...agents))).map((agent) => agent.id)).toEqual([
      'web1-agent',
      'local-1',
    ]);
    // A job that runs on this side (no host entries) gives no node agent a copy.
    expect((await vouchedAgents(contextWith(agents), mine, '', [], recordOf(...agents))).map((agent) => agent.id)).toEqual(['local-1']);
  });

  it("takes a node's agent only with the key deploy last recorded for its entry, not an old key's vouch", async () => {
    const mine = generateSigningKey();
    const current = agentVouchedBy('web1-agent', mine, 'web1');
    const old = agentVouchedBy('web1-old', mine, 'web1');
    expect((await vouchedAgents(contextWith([current, old]), mine, '', ['web1'], recordOf(current))).map((agent) => agent.id)).toEqual([
      'web1-agent',
    ]);
    // Undeployed: nothing recorded, nothing sealed to whatever still claims the entry.
    expect(await vouchedAgents(contextWith([current, old]), mine, '', ['web1'], recordOf())).toEqual([]);
  });
});
