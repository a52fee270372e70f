import { resolveJobRequest } from '@fleet/core';
import { entryRecords, FleetStore } from '@fleet/store';
import { describe, expect, it } from 'vitest';
import { userSigner } from './support/signing.js';
import { useFleet } from './support/use-fleet.js';

const fleet = useFleet();

/**
 * After a reconnection ioredis resends commands whose replies were lost,
 * though Redis may have run them. These are the resends, made directly.
 */
describe('commands resent after a reconnection', () => {
  async function storeWithJob() {
    const store = new FleetStore({ client: fleet.redis.client(), prefix: fleet.env.prefix, heartbeatTtlMs: 10_000 });
    const { job } = await store.jobs.create(
      resolveJobRequest({ type: 'process', command: { kind: 'shell', line: 'true' } }),
      await userSigner(fleet.env),
    );
    return { store, id: job.id };
  }

  it('a resent output batch is written once', async () => {
    const { store, id } = await storeWithJob();
    const batch: [string, string, string][] = [
      ['stdout', 'one', 't'],
      ['stdout', 'two', 't'],
    ];
    await store.transitions.append(id, id, 'localhost', 1, batch);
    await store.transitions.append(id, id, 'localhost', 1, batch);
    await store.transitions.append(id, id, 'localhost', 2, [['stderr', 'three', 't']]);
    const entries = await store.output.read(id, null);
    expect(entries.flatMap((entry) => entryRecords(entry).map((record) => record.data))).toEqual(['one', 'two', 'three']);
    expect((await store.jobs.record(id))?.view.hasMoreData).toBe(true);
    await store.close();
  });

  it('a resent ack lowers the counts of unreceived output once', async () => {
    const { store, id } = await storeWithJob();
    await store.transitions.append(id, id, 'localhost', 1, [
      ['stdout', 'one\n', 't'],
      ['stderr', 'two', 't'],
    ]);
    const unread = async () => fleet.redis.client().hmget(store.keys.job(id), 'unread', 'unreadBytes');
    expect(await unread()).toEqual(['2', '7']);
    const [first] = await store.output.read(id, null);
    const acked = [{ entryId: first?.entryId ?? '', jobId: id, bytes: first?.data.length ?? 0 }];
    await store.transitions.acknowledge(id, acked);
    await store.transitions.acknowledge(id, acked);
    expect(await unread()).toEqual(['1', '3']);
    await store.close();
  });

  it('a resent claim is answered for the agent that made it, and refused to any other', async () => {
    const { store, id } = await storeWithJob();
    expect(await store.transitions.claim(id, 'agent-a')).not.toBeNull();
    expect(await store.transitions.claim(id, 'agent-a')).not.toBeNull();
    expect(await store.transitions.claim(id, 'agent-b')).toBeNull();
    await store.close();
  });

  it('nothing is written for a job that was removed', async () => {
    const { store, id } = await storeWithJob();
    const [record] = await store.jobs.records([id]);
    await store.jobs.remove([record!]);
    await store.transitions.append(id, id, 'localhost', 1, [['stdout', 'late', 't']]);
    expect(await fleet.redis.client().exists(store.keys.job(id), store.keys.output(id))).toBe(0);
    await store.close();
  });
});
