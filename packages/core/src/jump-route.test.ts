import { describe, expect, it } from 'vitest';
import { InvalidJumpHost, SshConnectError } from './errors.js';
import { parseJumpHop, splitJumpChain } from './jump-route.js';

describe('parseJumpHop', () => {
  it('reads [user@]host[:port] as ssh does, the user up to the last @', () => {
    expect(parseJumpHop('bastion1')).toEqual({ text: 'bastion1', user: null, host: 'bastion1', port: null });
    expect(parseJumpHop('ops@bastion1:2222')).toEqual({ text: 'ops@bastion1:2222', user: 'ops', host: 'bastion1', port: 2222 });
    expect(parseJumpHop('a@b@bastion1')).toMatchObject({ user: 'a@b', host: 'bastion1' });
    expect(parseJumpHop('ops@[fe80::1]:22')).toMatchObject({ user: 'ops', host: 'fe80::1', port: 22 });
    expect(parseJumpHop('10.0.0.1/2222')).toMatchObject({ host: '10.0.0.1', port: 2222 });
  });

  it('reads ssh:// URIs, decoding the user and ignoring connection parameters', () => {
    expect(parseJumpHop('ssh://ops%40corp;fp=x@bastion1:2200')).toMatchObject({ user: 'ops@corp', host: 'bastion1', port: 2200 });
    // OpenSSH's parse_uri takes a host name only (the ssh -G parity corpus has the case).
    expect(() => parseJumpHop('ssh://[::1]')).toThrow('takes a host name');
    expect(parseJumpHop('ssh://bastion1:2200/')).toMatchObject({ host: 'bastion1', port: 2200 });
  });

  it.each([
    ['@bastion1', 'empty user name'],
    ['bastion1:0', 'bad port'],
    ['bastion1:99999', 'bad port'],
    ['bastion1:ssh', 'bad port'],
    ['[::1', 'not closed'],
    ['[::1]x', 'unexpected "x"'],
    [':22', 'no host name'],
    ['ssh://bastion1/path', 'takes no path'],
    ['ssh://@bastion1', 'empty user name'],
    ['bastion 1', 'white space'],
  ])('refuses %j, saying why', (text, problem) => {
    expect(() => parseJumpHop(text)).toThrow(InvalidJumpHost);
    expect(() => parseJumpHop(text)).toThrow(problem);
  });
});

describe('splitJumpChain', () => {
  it('takes the last hop as the one the target is reached from, through the hops before it', () => {
    expect(splitJumpChain([])).toBeNull();
    expect(splitJumpChain(['a'])).toEqual({ last: parseJumpHop('a'), before: [] });
    expect(splitJumpChain(['a', 'u@b:2', 'c'])).toEqual({ last: parseJumpHop('c'), before: ['a', 'u@b:2'] });
  });

  it('checks every hop, as ssh does, not only the last', () => {
    expect(() => splitJumpChain(['a:0', 'b'])).toThrow('bad ProxyJump host "a:0"');
  });
});

describe('SshConnectError on a route of jump hosts', () => {
  it('names the jump host that failed, and the hops a failed host was reached through', () => {
    expect(new SshConnectError('connection refused', '10.0.0.1', 22, 'refused').message).toBe('connection refused');
    expect(new SshConnectError('connection refused', 'b1', 22, 'refused', { jumpHost: 'bastion1' }).message).toBe(
      'jump host bastion1: connection refused',
    );
    expect(new SshConnectError('connection refused', 'b2', 22, 'refused', { jumpHost: 'b2', via: ['b1'] }).message).toBe(
      'jump host b2 via b1: connection refused',
    );
    const behind = new SshConnectError('host key mismatch for t', 't', 22, 'host-key', { via: ['b1', 'b2'] });
    expect(behind.message).toBe('via b1,b2: host key mismatch for t');
    expect(behind).toMatchObject({ reason: 'host key mismatch for t', jumpHost: null, via: ['b1', 'b2'] });
  });
});
