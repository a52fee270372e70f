import { describe, expect, it } from 'vitest';
import { agentQueueName, assignByAffinity } from './agent-affinity.js';

const hosts = (count: number) => Array.from({ length: count }, (_, index) => `web${index}.example`);
const agents = (...ids: string[]) => ids.map((id) => ({ id, weight: 32 }));

function loads(assigned: Map<string, string>, keys: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(assigned.get(key) as string, (counts.get(assigned.get(key) as string) ?? 0) + 1);
  return counts;
}

describe('assignByAffinity', () => {
  it('gives every key an agent, and the same one from one dispatch to the next, whatever the order', () => {
    const keys = hosts(300);
    const first = assignByAffinity(keys, agents('a', 'b', 'c'));
    const again = assignByAffinity([...keys].reverse(), agents('c', 'a', 'b'));
    expect(first.size).toBe(300);
    expect([...again].sort()).toEqual([...first].sort());
  });

  it('spreads a dispatch over the agents, none above its bounded share', () => {
    const keys = hosts(1000);
    const counts = loads(assignByAffinity(keys, agents('a', 'b', 'c', 'd')), keys);
    expect([...counts.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    for (const count of counts.values()) expect(count).toBeLessThanOrEqual(Math.ceil((1000 * 1.25) / 4));
  });

  it('moves only the keys of an agent that left', () => {
    const keys = hosts(400);
    const before = assignByAffinity(keys, agents('a', 'b', 'c', 'd'), Infinity);
    const after = assignByAffinity(keys, agents('a', 'b', 'c'), Infinity);
    for (const key of keys) if (before.get(key) !== 'd') expect(after.get(key)).toBe(before.get(key));
  });

  it('gives an agent of twice the weight about twice the keys, and none to weight 0', () => {
    const keys = hosts(3000);
    const counts = loads(
      assignByAffinity(
        keys,
        [
          { id: 'big', weight: 64 },
          { id: 'small', weight: 32 },
          { id: 'none', weight: 0 },
        ],
        Infinity,
      ),
      keys,
    );
    expect(counts.get('none')).toBeUndefined();
    const ratio = (counts.get('big') as number) / (counts.get('small') as number);
    expect(ratio).toBeGreaterThan(1.6);
    expect(ratio).toBeLessThan(2.5);
  });

  it('puts a key given twice on one agent, and gives nothing without agents', () => {
    const assigned = assignByAffinity(['x', 'x', 'y'], agents('a', 'b'));
    expect(assigned.size).toBe(2);
    expect(assignByAffinity(['x'], [])).toEqual(new Map());
  });
});

describe('agentQueueName', () => {
  it('is a BullMQ-safe name, one per agent', () => {
    expect(agentQueueName('host:1-2-ab')).toMatch(/^agent-[0-9a-f]{24}$/);
    expect(agentQueueName('a')).not.toBe(agentQueueName('b'));
  });
});
