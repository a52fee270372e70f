import { describe, expect, it } from 'vitest';
import { chooseAgents } from './agent-choice.js';

const mine = '/home/u/fleet-ssh';

describe('the agents a CLI leaves its jobs to', () => {
  it('uses agents with its SSH configuration, and those that do not say', () => {
    expect(chooseAgents([{ id: 'a', sshConfig: mine, idleTimeoutMs: 300_000 }, { id: 'old' }], mine)).toEqual({
      matching: ['a', 'old'],
      drain: [],
      warn: [],
    });
  });

  it('drains an agent fleet started with another configuration, and warns of one run by hand', () => {
    const choice = chooseAgents(
      [
        { id: 'detached', sshConfig: '/home/u/.ssh/config', idleTimeoutMs: 300_000 },
        { id: 'by-hand', sshConfig: '/home/u/.ssh/config', idleTimeoutMs: null },
      ],
      mine,
    );
    expect(choice).toEqual({
      matching: [],
      drain: [{ id: 'detached', sshConfig: '/home/u/.ssh/config' }],
      warn: [{ id: 'by-hand', sshConfig: '/home/u/.ssh/config' }],
    });
  });

  it('leaves out agents already draining', () => {
    expect(chooseAgents([{ id: 'a', sshConfig: mine, idleTimeoutMs: 1, draining: true }], mine).matching).toEqual([]);
  });
});
