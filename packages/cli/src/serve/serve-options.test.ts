import { UsageError } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { certificateDnsNames, isLoopbackHost, parseListenAddress, resolveServeOptions, servedHostNames } from './serve-options.js';

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

  it('answers to localhost by every loopback address it may stand for', () => {
    const names = servedHostNames({ listenHost: 'localhost', boundAddress: '127.0.0.1', machineNames: [], certificateNames: [] });
    expect(names.sort()).toEqual(['127.0.0.1', '::1', 'localhost']);
    expect(servedHostNames({ listenHost: '127.0.0.1', boundAddress: '127.0.0.1', machineNames: [], certificateNames: [] }).sort()).toEqual([
      '127.0.0.1',
      'localhost',
    ]);
  });

  it("answers to the certificate's DNS names, and to a wildcard's machine names but not to 0.0.0.0", () => {
    const names = servedHostNames({
      listenHost: '0.0.0.0',
      boundAddress: '0.0.0.0',
      machineNames: ['box', '10.0.0.5'],
      certificateNames: ['Fleet.Example'],
    });
    expect(names).toEqual(['box', '10.0.0.5', 'fleet.example']);
    expect(
      servedHostNames({ listenHost: '10.0.0.5', boundAddress: '10.0.0.5', machineNames: [], certificateNames: ['fleet.example'] }),
    ).toEqual(['10.0.0.5', 'fleet.example']);
  });

  it("reads the DNS names of a certificate's subjectAltName, no wildcard", () => {
    expect(certificateDnsNames('DNS:fleet.example, IP Address:127.0.0.1, DNS:*.example, DNS:localhost')).toEqual([
      'fleet.example',
      'localhost',
    ]);
    expect(certificateDnsNames(undefined)).toEqual([]);
  });
});
