import { describe, expect, it } from 'vitest';
import { hostBlockMatches, matchHostname } from './ssh-patterns.js';

describe('matchHostname (known_hosts patterns)', () => {
  it('matches wildcards case-insensitively, a negated pattern excluding', () => {
    expect(matchHostname('127.0.1.9', '127.0.*')).toBe(true);
    expect(matchHostname('DB1', 'db?')).toBe(true);
    expect(matchHostname('db12', 'db?')).toBe(false);
    expect(matchHostname('web9', 'web*,!web9')).toBe(false);
  });
});

describe('hostBlockMatches (Host lines)', () => {
  it('compares case as written, a negated pattern excluding', () => {
    expect(hostBlockMatches(['web*'], 'web1')).toBe(true);
    expect(hostBlockMatches(['web1'], 'WEB1')).toBe(false);
    expect(hostBlockMatches(['web*', '!web9'], 'web9')).toBe(false);
  });
});
