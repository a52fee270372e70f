import { describe, expect, it } from 'vitest';
import { hostMatches, parseSshConfig, resolveSshOptions } from './ssh-config.js';

const context = { localUser: 'me', homeDir: '/home/me' };

describe('resolveSshOptions', () => {
  const config = parseSshConfig(`
# global defaults come first in effect only where nothing earlier set them
Host web*  !web9
  HostName %h.example.com
  User deploy
  Port 2222
  IdentityFile ~/.ssh/web_key

Host web1
  User other
  IdentityFile=/keys/%r@%h

Host *
  User fallback
  IdentityFile ~/.ssh/id_ed25519
  StrictHostKeyChecking accept-new
  ConnectTimeout 7
  UserKnownHostsFile "~/.ssh/fleet hosts" /etc/ssh/extra
`);

  it('takes the first value of each keyword, in file order', () => {
    expect(resolveSshOptions(config, 'web1', { user: null, port: null }, context)).toMatchObject({
      hostName: 'web1.example.com',
      user: 'deploy',
      port: 2222,
      identityFiles: ['/home/me/.ssh/web_key', '/keys/deploy@web1.example.com', '/home/me/.ssh/id_ed25519'],
      userKnownHostsFiles: ['/home/me/.ssh/fleet hosts', '/etc/ssh/extra'],
      strictHostKeyChecking: 'accept-new',
      connectTimeoutMs: 7000,
      identitiesOnly: false,
    });
  });

  it('lets user@ and :port in the entry win, and a negated pattern exclude', () => {
    const web9 = resolveSshOptions(config, 'web9', { user: 'root', port: 2200 }, context);
    expect(web9).toMatchObject({ hostName: 'web9', user: 'root', port: 2200, identityFiles: ['/home/me/.ssh/id_ed25519'] });
  });

  it('defaults to the local user, port 22, strict checking ask, the usual known_hosts', () => {
    expect(resolveSshOptions(parseSshConfig(''), 'db', { user: null, port: null }, context)).toMatchObject({
      hostName: 'db',
      user: 'me',
      port: 22,
      identityFiles: [],
      userKnownHostsFiles: ['/home/me/.ssh/known_hosts', '/home/me/.ssh/known_hosts2'],
      strictHostKeyChecking: 'ask',
      connectTimeoutMs: null,
    });
  });

  it('matches wildcards case-insensitively', () => {
    expect(hostMatches(['127.0.*'], '127.0.1.9')).toBe(true);
    expect(hostMatches(['db?'], 'DB1')).toBe(true);
    expect(hostMatches(['db?'], 'db12')).toBe(false);
  });
});
