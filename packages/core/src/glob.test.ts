import { describe, expect, it } from 'vitest';
import { globRegExp } from './glob.js';

describe('globRegExp', () => {
  it('matches whole names, * as any run and ? as any one character, everything else literally', () => {
    const glob = globRegExp('web?.example.*');
    expect(['web1.example.com', 'webx.example.'].every((name) => glob.test(name))).toBe(true);
    expect(['web12.example.com', 'xweb1.example.com', 'web1-example.com'].some((name) => glob.test(name))).toBe(false);
    expect(globRegExp('a+b[1]').test('a+b[1]')).toBe(true);
  });

  it('tells case apart unless asked not to', () => {
    expect(globRegExp('Web*').test('web1')).toBe(false);
    expect(globRegExp('Web*', { ignoreCase: true }).test('web1')).toBe(true);
  });
});
