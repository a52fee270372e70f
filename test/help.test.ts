import { describe, expect, it } from 'vitest';
import { useFleet } from './support/use-fleet.js';

const fleet = useFleet();

describe('fleet --help', () => {
  it('lists every command, and each command’s help shows an example', async () => {
    const top = await fleet.env.fleet(['--help']);
    expect(top.code).toBe(0);
    const commands = [...top.stdout.matchAll(/^ {2}fleet ([a-z-]+)/gm)].map((match) => match[1] as string);
    expect(commands).toEqual(
      expect.arrayContaining([
        'start',
        'invoke',
        'push',
        'pull',
        'get',
        'receive',
        'wait',
        'events',
        'stop',
        'remove',
        'agent',
        'deploy',
        'key',
        'ssh-config',
        'serve',
        'completion',
      ]),
    );
    for (const command of commands) {
      const help = await fleet.env.fleet([command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toMatch(/Examples:\n {2}\S/);
    }
  });
});
