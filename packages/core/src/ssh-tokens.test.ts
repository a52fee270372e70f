import { describe, expect, it } from 'vitest';
import { connectionHash, defaultTokens, expandDollar, expandPercent, expandTilde, TokenExpansionError } from './ssh-tokens.js';

describe('ssh tokens', () => {
  it('expands %X and %%, refusing an unknown token or a lone % as ssh does', () => {
    expect(expandPercent('%h:%p %%h', { h: 'web1', p: '22' })).toBe('web1:22 %h');
    expect(() => expandPercent('%z', {})).toThrow(TokenExpansionError);
    expect(() => expandPercent('50%', {})).toThrow(/at the end/);
  });

  it('expands ${VAR} and refuses an unset one', () => {
    expect(expandDollar('${HOME}/x $NOT', { HOME: '/h' })).toBe('/h/x $NOT');
    expect(() => expandDollar('${NOPE}', {})).toThrow(/not set/);
  });

  it('expands ~ to the home directory only at the start', () => {
    expect(expandTilde('~/.ssh/k', '/home/me')).toBe('/home/me/.ssh/k');
    expect(expandTilde('/a/~/b', '/home/me')).toBe('/a/~/b');
  });

  it('hashes %C as ssh: SHA-1 of local host, host, port, user and jump host', () => {
    // ssh -G with UserKnownHostsFile /k/%C printed this for host b, port 22, user root on host "vm" (OpenSSH 9.2, no jump).
    expect(connectionHash('vm', 'b', '22', 'root', '')).toBe('25891b0edd9589bb98df52d0fe445487bf209613');
    const tokens = defaultTokens({
      localHost: 'box.example.org',
      homeDir: '/h',
      localUser: 'me',
      uid: 7,
      originalHost: 'alias',
      host: 'real',
      port: 2222,
      remoteUser: 'deploy',
      keyAlias: 'key',
      jumpHost: 'bastion',
    });
    expect(tokens).toMatchObject({
      L: 'box',
      l: 'box.example.org',
      i: '7',
      n: 'alias',
      h: 'real',
      p: '2222',
      r: 'deploy',
      k: 'key',
      j: 'bastion',
    });
  });
});
