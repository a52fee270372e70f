import { describe, expect, it } from 'vitest';
import type { OutputStore } from './output-store.js';
import { OutputWriter } from './output-writer.js';
import type { Transitions } from './transitions.js';

const OOM = "OOM command not allowed when used memory > 'maxmemory'. script: 0145ab, on @user_script:256.";

/** A store whose `append` keeps what it is given, or refuses as Redis does (`refuse` decides, per call). */
function fakeStore(refuse: () => string | null) {
  const kept: string[] = [];
  let unread = 0;
  const transitions = {
    append: (_jobId: number, _rootId: number, _host: string, _batch: number, records: readonly [string, string | Buffer, string][]) => {
      const refusal = refuse();
      if (refusal !== null) return Promise.reject(new Error(refusal));
      for (const [, data] of records) {
        kept.push(data.toString());
        unread += data.length;
      }
      return Promise.resolve(unread);
    },
  } as unknown as Transitions;
  return { store: { transitions, output: {} as OutputStore }, kept };
}

const writerOf = (store: ReturnType<typeof fakeStore>['store']) =>
  new OutputWriter(store, { jobId: 2, rootId: 1, host: 'localhost', batchRecords: 1, packedBytes: 4 });

describe('OutputWriter when Redis is full', () => {
  it('drops the batch Redis refused and everything after, keeps the start, counts the bytes, and does not fail the run', async () => {
    let full = false;
    const { store, kept } = fakeStore(() => (full ? OOM : null));
    const writer = writerOf(store);
    await writer.writeBytes('stdout', Buffer.from('aaaa'));
    await writer.flush();
    full = true;
    await writer.writeBytes('stdout', Buffer.from('bbbbcc'));
    await writer.flush();
    full = false;
    // Memory freed: still dropped, so that what is kept has no hole in it.
    await writer.writeBytes('stdout', Buffer.from('dddd'));
    await writer.write('error', 'why');
    await writer.flush();
    expect(kept).toEqual(['aaaa']);
    expect(writer.bytesDroppedOutOfMemory).toBe(6 + 4 + 3);
    expect(writer.unreceivedBytes).toBe(4);
  });

  it('still fails the run on any other refusal', async () => {
    const { store } = fakeStore(() => 'NOSCRIPT No matching script.');
    const writer = writerOf(store);
    await writer.writeBytes('stdout', Buffer.from('aaaa'));
    await expect(writer.flush()).rejects.toThrow('NOSCRIPT');
    expect(writer.bytesDroppedOutOfMemory).toBe(0);
  });
});
