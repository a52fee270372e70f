import { UsageError } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { metricsExposureWarning, metricsHostNames, parseMetricsAddress } from './metrics-address.js';

describe('parseMetricsAddress', () => {
  it('puts a bare port on loopback, and takes an address written out', () => {
    expect(parseMetricsAddress('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseMetricsAddress(':9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseMetricsAddress('0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseMetricsAddress('65535')).toEqual({ host: '127.0.0.1', port: 65535 });
    expect(parseMetricsAddress('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(parseMetricsAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseMetricsAddress('localhost:9464')).toEqual({ host: 'localhost', port: 9464 });
  });

  it('refuses what is not [ADDR:]PORT, naming --metrics and quoting what was typed', () => {
    for (const bad of [
      '',
      ':',
      'metrics',
      '65536',
      '99999',
      ':99999',
      '127.0.0.1',
      '127.0.0.1:',
      'host.example:9464',
      '::1:9464',
      '-1',
      '94 64',
    ]) {
      const refusal = (() => {
        try {
          return parseMetricsAddress(bad);
        } catch (error) {
          return error;
        }
      })();
      expect(refusal, bad).toBeInstanceOf(UsageError);
      expect(refusal, bad).toMatchObject({ message: `--metrics ${JSON.stringify(bad)} is not ADDR:PORT` });
    }
  });
});

describe('metricsHostNames', () => {
  const noMachine = () => {
    throw new Error('only a wildcard address reads the machine names');
  };

  it('answers to the address and, on loopback, localhost; on a wildcard, to the machine names', () => {
    expect(metricsHostNames('127.0.0.1', '127.0.0.1', noMachine)).toEqual(['127.0.0.1', 'localhost']);
    expect(metricsHostNames('localhost', '::1', noMachine)).toEqual(['localhost', '::1', '127.0.0.1']);
    expect(metricsHostNames('192.0.2.7', '192.0.2.7', noMachine)).toEqual(['192.0.2.7']);
    expect(metricsHostNames('0.0.0.0', '0.0.0.0', () => ['Build-7', 'localhost', '127.0.0.1', '192.0.2.7'])).toEqual([
      'build-7',
      'localhost',
      '127.0.0.1',
      '192.0.2.7',
    ]);
  });
});

describe('metricsExposureWarning', () => {
  it('warns beyond loopback, naming the address, and says nothing on loopback', () => {
    expect(metricsExposureWarning('0.0.0.0', 'http://0.0.0.0:9464/metrics')).toBe(
      'warning: metrics are readable by anyone who can reach 0.0.0.0:9464 (no token, plain HTTP)',
    );
    expect(metricsExposureWarning('::', 'http://[::]:9464/metrics')).toBe(
      'warning: metrics are readable by anyone who can reach [::]:9464 (no token, plain HTTP)',
    );
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost'])
      expect(metricsExposureWarning(host, 'http://127.0.0.1:9464/metrics')).toBeNull();
  });
});
