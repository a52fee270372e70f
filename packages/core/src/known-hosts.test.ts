import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkHostKey, KnownHostsIndex, knownHostName, parseKnownHosts } from './known-hosts.js';

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
});
