import { UsageError } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, parseListenAddress, resolveServeOptions } from './serve-options.js';

describe('fleet serve options', () => {
  it('reads ADDR:PORT, IPv6 in brackets, and defaults to 127.0.0.1:7070', () => {
    expect(parseListenAddress('0.0.0.0:0')).toEqual({ host: '0.0.0.0', port: 0 });
    expect(parseListenAddress('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(resolveServeOptions({})).toEqual({ host: '127.0.0.1', port: 7070, tls: null });
  });

  it('refuses what is not an address and a port', () => {
    for (const bad of ['7070', '127.0.0.1', 'example.com:80', '::1:80', '127.0.0.1:70000', '[127.0.0.1]:80', '1.2.3:80']) {
      expect(() => parseListenAddress(bad), bad).toThrow(UsageError);
    }
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1'].some(isLoopbackHost)).toBe(false);
  });

  it('refuses to listen beyond loopback in plain HTTP unless told it is unsafe', () => {
    expect(() => resolveServeOptions({ listen: '0.0.0.0:7070' })).toThrow(/reachable from other machines/);
    expect(resolveServeOptions({ listen: '0.0.0.0:7070', unsafeNoTls: true }).tls).toBeNull();
    expect(resolveServeOptions({ listen: '0.0.0.0:7070', tlsCert: 'c.pem', tlsKey: 'k.pem' }).tls).toEqual({
      certFile: 'c.pem',
      keyFile: 'k.pem',
    });
    expect(() => resolveServeOptions({ tlsCert: 'c.pem' })).toThrow(/go together/);
  });
});
