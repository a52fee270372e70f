import { describe, expect, it } from 'vitest';
import { parseComputerNames } from './host-list.js';
import { withLoginUser } from './login-user.js';

describe('withLoginUser (-l USER)', () => {
  it('gives the user to entries that name none, as if written USER@entry, and leaves the others', () => {
    const entries = withLoginUser(parseComputerNames('web1,alice@web2,web3:2222,[::1]:22'), 'deploy');
    expect(entries.map((entry) => [entry.raw, entry.user])).toEqual([
      ['deploy@web1', 'deploy'],
      ['alice@web2', 'alice'],
      ['deploy@web3:2222', 'deploy'],
      ['deploy@[::1]:22', 'deploy'],
    ]);
  });

  it('turns the bare localhost into USER@localhost, which goes over SSH', () => {
    expect(withLoginUser(parseComputerNames('localhost'), 'root')).toEqual([
      { raw: 'root@localhost', user: 'root', host: 'localhost', port: null, local: false },
    ]);
  });

  it.each(['', 'a b', '-oProxyCommand=x', 'x@y'])('refuses the login name %j', (user) => {
    expect(() => withLoginUser(parseComputerNames('web1'), user)).toThrow(`-l ${JSON.stringify(user)} is not a valid login name`);
  });
});
