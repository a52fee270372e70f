import { SshConnectError, type JumpHop, type SshOptions } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { optionsWithoutConfig } from './ssh-options.fixture.js';
import { resolveRoute } from './ssh-route.js';
import type { SshTarget } from './ssh-target.js';

// What ssh_config without a line gives; each test sets what it is about.
const options: SshOptions = await optionsWithoutConfig('db1', 'deploy', '/nonexistent');

/** Records how each jump host was asked for, and stands in for it. */
function recorder() {
  const asked: { hop: JumpHop; through: readonly string[] | null }[] = [];
  const resolve = (hop: JumpHop, through: readonly string[] | null) => {
    asked.push({ hop, through });
    return Promise.resolve({ key: hop.host } as SshTarget);
  };
  return { asked, resolve };
}

describe('resolveRoute', () => {
  it('connects directly when neither ProxyJump nor ProxyCommand is set', async () => {
    expect(await resolveRoute(options, null, recorder().resolve)).toBeUndefined();
  });

  it('reaches the host from the last hop, itself told to go through the hops before it, as ssh -J a,b does', async () => {
    const { asked, resolve } = recorder();
    const route = await resolveRoute({ ...options, proxyJump: ['a', 'ops@b:2222'] }, null, resolve);
    expect(route).toMatchObject({ kind: 'jump', hops: ['a', 'ops@b:2222'], via: { key: 'b' } });
    expect(asked).toEqual([{ hop: { text: 'ops@b:2222', user: 'ops', host: 'b', port: 2222 }, through: ['a'] }]);
  });

  it('lets the first hop take its own route from ssh_config, and a later hop the one it was told', async () => {
    const { asked, resolve } = recorder();
    await resolveRoute({ ...options, proxyJump: ['a'] }, null, resolve);
    expect(asked[0]?.through).toBeNull();
    // A hop told to go through `a` does so even when its own ssh_config names a ProxyCommand.
    const told = await resolveRoute({ ...options, proxyCommand: 'nc %h %p' }, ['a'], resolve);
    expect(told).toMatchObject({ kind: 'jump', hops: ['a'] });
  });

  it('runs the ProxyCommand when ssh_config gave one', async () => {
    expect(await resolveRoute({ ...options, proxyCommand: 'ssh -W db1.internal:22 bastion' }, null, recorder().resolve)).toEqual({
      kind: 'proxy-command',
      command: 'ssh -W db1.internal:22 bastion',
    });
  });

  it('fails the host with a configuration error naming a malformed hop', async () => {
    const error: unknown = await resolveRoute({ ...options, proxyJump: ['bastion:0'] }, null, recorder().resolve).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SshConnectError);
    expect(error).toMatchObject({ kind: 'configuration', message: expect.stringContaining('bad ProxyJump host "bastion:0"') });
  });
});
