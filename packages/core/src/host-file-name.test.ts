import { describe, expect, it } from 'vitest';
import { hostFileName } from './host-file-name.js';

describe('hostFileName', () => {
  it('keeps ordinary entries as they are', () => {
    expect(hostFileName('web1.example.com')).toBe('web1.example.com');
    expect(hostFileName('alice@10.0.0.5:2222')).toBe('alice@10.0.0.5:2222');
    expect(hostFileName('[::1]:22')).toBe('[::1]:22');
  });

  it('never leaves the directory, hides, or clashes', () => {
    expect(hostFileName('../etc/passwd')).toBe('%2E.%2Fetc%2Fpasswd');
    expect(hostFileName('..')).toBe('%2E.');
    expect(hostFileName('.hidden')).toBe('%2Ehidden');
    expect(hostFileName('a/b')).not.toBe(hostFileName('a%2Fb'));
    expect(hostFileName('a%2Fb')).toBe('a%252Fb');
    expect(hostFileName('é')).toBe('%C3%A9');
    expect(hostFileName('')).toBe('%');
  });
});
