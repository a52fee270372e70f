import { generateSealingKey, generateSigningKey, vouchFor } from '@fleet/core';
import type { AgentInfo } from '@fleet/store';
import { describe, expect, it } from 'vitest';
import type { CliContext } from './context.js';
import { vouchedAgents } from './seal-password.js';

const PREFIX = 'fleet-test';

/** An agent entry whose sealing key `voucher` vouched for. */
function agentVouchedBy(id: string, voucher: ReturnType<typeof generateSigningKey>): AgentInfo {
  const sealing = vouchFor(voucher, { deployment: '', prefix: PREFIX, agentId: id }, generateSealingKey().publicKey);
  return { id, serves: null, sealing } as unknown as AgentInfo;
}

describe('vouchedAgents', () => {
  it('takes only agents vouched for by this user own key, not by a trusted colleague', async () => {
    const mine = generateSigningKey();
    const colleague = generateSigningKey();
    const agents = [agentVouchedBy('mine-1', mine), agentVouchedBy('colleague-1', colleague)];
    // A colleague's key in FLEET_TRUSTED_KEYS would say whose jobs an agent runs; it must not get the password.
    const context = { store: { keys: { prefix: PREFIX }, agents: { list: () => Promise.resolve(agents) } } } as unknown as CliContext;
    expect((await vouchedAgents(context, mine, '')).map((agent) => agent.id)).toEqual(['mine-1']);
  });
});
