import { describe, expect, it } from 'vitest';
import { servedLocationRefusal } from './served-location.js';

describe('servedLocationRefusal', () => {
  it('lets a node agent run only jobs signed for the entry it serves, as written', () => {
    expect(servedLocationRefusal('deploy@web2:2222', 'deploy@web2:2222')).toBeNull();
    expect(servedLocationRefusal('db1', 'web2')).toBe('refused: signed for db1, this agent serves web2');
  });

  it('counts no other spelling of a host as the same: another user, port or case is another entry', () => {
    for (const [signed, serves] of [
      ['root@web2', 'deploy@web2'],
      ['web2', 'deploy@web2'],
      ['web2:22', 'web2'],
      ['WEB2', 'web2'],
      ['localhost', 'web2'],
    ] as const) {
      expect(servedLocationRefusal(signed, serves)).toBe(`refused: signed for ${signed}, this agent serves ${serves}`);
    }
  });
});
