import { describe, expect, it } from 'vitest';
import { decodeJobEvent } from './job-event.js';
import { parseStreamId } from './stream-id.js';

const id = parseStreamId('1733130000000-0', 'x');
const fields = (values: Record<string, string>) =>
  new Map(Object.entries({ k: 'state', j: '8', r: '7', s: '', x: '', w: '', t: '', n: '', ...values }));

describe('decodeJobEvent', () => {
  it("gives a leaf's state, exit code, reason and time as written", () => {
    const event = decodeJobEvent(id, fields({ s: 'Failed', x: '3', w: 'exit code 3', t: '2026-12-02T07:00:01.250Z' }));
    expect(event).toEqual({
      event: 'state',
      jobId: 8,
      rootId: 7,
      state: 'Failed',
      exitCode: 3,
      reason: 'exit code 3',
      at: '2026-12-02T07:00:01.250Z',
    });
  });

  it("rolls a parent's state and reason up from its counts, as a record is read", () => {
    expect(decodeJobEvent(id, fields({ k: 'created', j: '7', n: '0,0,0,3' }))).toMatchObject({ state: 'Running', reason: null });
    expect(decodeJobEvent(id, fields({ j: '7', n: '1,1,1,3' }))).toMatchObject({
      state: 'Failed',
      reason: '1 failed, 1 stopped of 3 children',
    });
    expect(decodeJobEvent(id, fields({ j: '7', n: '3,0,0,3' }))).toMatchObject({ state: 'Completed', reason: null });
  });

  it("takes a removal's time from its id", () => {
    expect(decodeJobEvent(id, fields({ k: 'removed', j: '7' }))).toEqual({
      event: 'removed',
      jobId: 7,
      rootId: 7,
      state: null,
      exitCode: null,
      reason: null,
      at: '2024-12-02T09:00:00.000Z',
    });
  });

  it('refuses an entry the transition script could not have written', () => {
    const forged = [
      fields({ k: 'hacked', s: 'Running' }),
      fields({ j: '8; rm', s: 'Running' }),
      fields({ r: '', s: 'Running' }),
      fields({ s: 'Exploded' }),
      fields({ s: 'Running', x: 'three' }),
      fields({ n: '1,2' }),
      fields({ s: 'Running', n: '1,1,1,3' }),
      new Map([['k', 'state']]),
    ];
    for (const entry of forged) expect(decodeJobEvent(id, entry), JSON.stringify([...entry])).toBeNull();
    // A reason is any text (escaped where it is shown); a time that is not one is taken from the id.
    expect(decodeJobEvent(id, fields({ s: 'Failed', w: '\u001b[2J\n', t: 'soon' }))).toMatchObject({
      reason: '\u001b[2J\n',
      at: '2024-12-02T09:00:00.000Z',
    });
  });
});
