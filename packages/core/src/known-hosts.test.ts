import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkHostKey, combineHostKeyStatuses, hostKeyLookupName, KnownHostsIndex, knownHostName, parseKnownHosts } from './known-hosts.js';

const KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIBc0ZmFrZWtleWZha2VrZXlmYWtla2V5ZmFrZWtleQ==';
const OTHER = 'AAAAC3NzaC1lZDI1NTE5AAAAIG90aGVya2V5b3RoZXJrZXlvdGhlcmtleW90aGVyaw==';

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('checkHostKey', () => {
  it('finds plain, wildcard, [host]:port and hashed entries', () => {
    const lines = parseKnownHosts(
      [
        `web1,10.0.0.1 ssh-ed25519 ${KEY}`,
        `*.example.com ssh-ed25519 ${KEY}`,
        `[127.0.1.2]:2222 ssh-ed25519 ${KEY}`,
        `${hashed('[db]:2200')} ssh-ed25519 ${KEY}`,
      ].join('\n'),
    );
    expect(checkHostKey(lines, 'web1', KEY)).toBe('match');
    expect(checkHostKey(lines, 'a.example.com', KEY)).toBe('match');
    expect(checkHostKey(lines, knownHostName('127.0.1.2', 2222), KEY)).toBe('match');
    expect(checkHostKey(lines, knownHostName('127.0.1.2', 22), KEY)).toBe('unknown');
    expect(checkHostKey(lines, knownHostName('db', 2200), KEY)).toBe('match');
  });

  it('calls a different key for a known host a mismatch, and honours @revoked', () => {
    const lines = parseKnownHosts(`web1 ssh-ed25519 ${KEY}\n@revoked * ssh-ed25519 ${OTHER}\n`);
    expect(checkHostKey(lines, 'web1', OTHER)).toBe('revoked');
    expect(checkHostKey(parseKnownHosts(`web1 ssh-ed25519 ${KEY}`), 'web1', OTHER)).toBe('mismatch');
    expect(checkHostKey(lines, 'web2', KEY)).toBe('unknown');
  });

  it('lets a @revoked line win wherever it stands, as OpenSSH does', () => {
    const lines = parseKnownHosts(`web1 ssh-ed25519 ${KEY}\n@revoked web* ssh-ed25519 ${KEY}\n`);
    expect(checkHostKey(lines, 'web1', KEY)).toBe('revoked');
    expect(checkHostKey(lines, 'db1', KEY)).toBe('unknown');
  });

  it('tells a host named only by a @cert-authority line from an unknown one', () => {
    const lines = parseKnownHosts(`@cert-authority *.example.com ssh-ed25519 ${OTHER}\n`);
    expect(checkHostKey(lines, 'a.example.com', KEY)).toBe('cert-authority');
    expect(checkHostKey(lines, 'a.example.org', KEY)).toBe('unknown');
    const alsoPlain = parseKnownHosts(`@cert-authority *.example.com ssh-ed25519 ${OTHER}\na.example.com ssh-ed25519 ${KEY}\n`);
    expect(checkHostKey(alsoPlain, 'a.example.com', KEY)).toBe('match');
  });
});

describe('combineHostKeyStatuses', () => {
  it('weighs several files as ssh weighs one list: revoked, then match, then mismatch, then a CA line', () => {
    expect(combineHostKeyStatuses(['match', 'revoked'])).toEqual({ status: 'revoked', file: 1 });
    expect(combineHostKeyStatuses(['mismatch', 'match'])).toEqual({ status: 'match', file: 1 });
    expect(combineHostKeyStatuses(['unknown', 'cert-authority', 'mismatch'])).toEqual({ status: 'mismatch', file: 2 });
    expect(combineHostKeyStatuses(['unknown', 'cert-authority'])).toEqual({ status: 'cert-authority', file: 1 });
    expect(combineHostKeyStatuses(['unknown', 'unknown'])).toEqual({ status: 'unknown', file: null });
    expect(combineHostKeyStatuses([])).toEqual({ status: 'unknown', file: null });
  });
});

describe('hostKeyLookupName', () => {
  it('uses HostKeyAlias as written, without the port, as ssh does', () => {
    expect(hostKeyLookupName({ hostName: '127.0.1.2', port: 2222, hostKeyAlias: null })).toBe('[127.0.1.2]:2222');
    expect(hostKeyLookupName({ hostName: '127.0.1.2', port: 2222, hostKeyAlias: 'web1' })).toBe('web1');
  });
});

describe('KnownHostsIndex', () => {
  it('answers as checkHostKey over every line does, for plain, wildcard, negated, hashed and revoked lines', () => {
    const lines = parseKnownHosts(
      [
        `Web1,10.0.0.1 ssh-ed25519 ${KEY}`,
        `@revoked web2 ssh-ed25519 ${OTHER}`,
        `web2 ssh-ed25519 ${OTHER}`,
        `*.example.com,!bad.example.com ssh-ed25519 ${KEY}`,
        `[127.0.1.2]:2222 ssh-ed25519 ${KEY}`,
        `${hashed('[db]:2200')} ssh-ed25519 ${OTHER}`,
        `@cert-authority * ssh-ed25519 ${OTHER}`,
        `db? ssh-ed25519 ${KEY}`,
      ].join('\n'),
    );
    const index = new KnownHostsIndex(lines);
    const names = [
      'web1',
      'WEB1',
      '10.0.0.1',
      'web2',
      'a.example.com',
      'bad.example.com',
      knownHostName('127.0.1.2', 2222),
      '127.0.1.2',
      knownHostName('db', 2200),
      'db1',
      'nowhere',
    ];
    for (const name of names) {
      for (const key of [KEY, OTHER])
        expect(index.check(name, key), `${name} ${key === KEY ? 'KEY' : 'OTHER'}`).toBe(checkHostKey(lines, name, key));
    }
    expect(index.check('web2', OTHER)).toBe('revoked');
  });

  it('lists the key types known for a host, from plain lines only', () => {
    const index = new KnownHostsIndex(
      parseKnownHosts(
        [
          `web1 ecdsa-sha2-nistp256 ${KEY}`,
          `web* ssh-rsa ${OTHER}`,
          `@cert-authority * ssh-ed25519 ${OTHER}`,
          `db1 ssh-ed25519 ${KEY}`,
        ].join('\n'),
      ),
    );
    expect(index.keyTypes('web1')).toEqual(['ecdsa-sha2-nistp256', 'ssh-rsa']);
    expect(index.keyTypes('db2')).toEqual([]);
  });
});
