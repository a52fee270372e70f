import { describe, expect, it } from 'vitest';
import { hostMatches } from './ssh-config.js';

describe('hostMatches (known_hosts patterns)', () => {
  it('matches wildcards case-insensitively, a negated pattern excluding', () => {
    expect(hostMatches(['127.0.*'], '127.0.1.9')).toBe(true);
    expect(hostMatches(['db?'], 'DB1')).toBe(true);
    expect(hostMatches(['db?'], 'db12')).toBe(false);
    expect(hostMatches(['web*', '!web9'], 'web9')).toBe(false);
  });
});
