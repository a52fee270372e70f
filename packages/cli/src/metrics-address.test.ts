import { UsageError } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { parseMetricsAddress } from './metrics-address.js';

describe('parseMetricsAddress', () => {
  it('puts a bare port on loopback, and takes an address written out', () => {
    expect(parseMetricsAddress('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseMetricsAddress(':9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseMetricsAddress('0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseMetricsAddress('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(parseMetricsAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseMetricsAddress('localhost:9464')).toEqual({ host: 'localhost', port: 9464 });
  });

  it('refuses what is not [ADDR:]PORT, naming --metrics', () => {
    for (const bad of ['', ':', 'metrics', '65536', ':99999', '127.0.0.1', '127.0.0.1:', 'host.example:9464', '::1:9464', '-1', '94 64']) {
      expect(() => parseMetricsAddress(bad), bad).toThrow(UsageError);
      expect(() => parseMetricsAddress(bad), bad).toThrow(/^--metrics ".*" is not ADDR:PORT$/);
    }
  });
});
