import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useLocalAttacker, type LocalUser } from './support/local-user.js';
import { useFleet, type JobJson } from './support/use-fleet.js';

/**
 * Local hygiene (issue 16 §6): another user of this machine, made for the
 * test, plants what they can where fleet reads or writes; fleet refuses it
 * with the path and what to do, and the file the attacker aimed at is as it was.
 */
const fleet = useFleet();
const attacker = useLocalAttacker('fleet-shared-');
let other: LocalUser;
/** The shared directory, and the file of root's the attacker wants written through (standing for /root/.bashrc). */
let shared: string;
let target: string;
beforeEach(() => {
  ({ user: other } = attacker);
  ({ dir: shared, target } = attacker.tmp);
});

describe('the signing key', () => {
  it('is refused when others can read it, with the chmod to run, and nothing is launched', async () => {
    await fleet.env.fleet(['key']);
    const key = join(fleet.env.home, '.config', 'fleet', 'signing-key');
    await chmod(key, 0o644);
    const result = await fleet.env.fleet(['invoke', '-c', 'localhost', '--', `touch ${join(fleet.env.home, 'ran')}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${key} (the signing key) is open to others (mode 644)`);
    expect(result.stderr).toContain(`chmod 600 ${key}`);
    expect(existsSync(join(fleet.env.home, 'ran'))).toBe(false);
    expect(await fleet.env.json<JobJson[]>(['get'])).toEqual([]);
    await chmod(key, 0o600);
    expect((await fleet.env.fleet(['invoke', '-c', 'localhost', '--', 'true'])).code).toBe(0);
  });

  it('is refused when another user owns it', async () => {
    await fleet.env.fleet(['key']);
    const key = join(fleet.env.home, '.config', 'fleet', 'signing-key');
    await chown(key, other.uid, 0);
    const result = await fleet.env.fleet(['start', '--', 'true']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`owned by uid ${other.uid}, not by you`);
    expect(await fleet.env.json<JobJson[]>(['get'])).toEqual([]);
  });
});

describe('FLEET_STATE_DIR', () => {
  it('is refused when another user owns it, and fleet puts nothing in it', async () => {
    const planted = join(shared, `state-${fleet.env.marker}`);
    await other.run('mkdir', ['-m', '755', planted]);
    const result = await fleet.env.fleet(['start', '--', `touch ${join(fleet.env.home, 'ran')}`], { env: { FLEET_STATE_DIR: planted } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${planted} (fleet's state directory) is owned by uid ${other.uid}, not by you`);
    expect(existsSync(join(fleet.env.home, 'ran'))).toBe(false);
    expect(existsSync(join(planted, 'agent.log'))).toBe(false);
    // The embedded Redis, in a network of its own where nothing answers on 127.0.0.1:6379: no socket is made or used there.
    const embedded = await fleet.env.fleet(['get'], {
      env: { FLEET_STATE_DIR: planted, FLEET_REDIS_URL: undefined },
      wrap: ['unshare', '--net'],
    });
    expect(embedded.code).toBe(2);
    expect(embedded.stderr).toContain(`${planted} (fleet's state directory) is owned by uid ${other.uid}`);
    expect(existsSync(join(planted, 'redis'))).toBe(false);
  });

  it('is refused when others may write it, sticky or not', async () => {
    const open = join(shared, `open-${fleet.env.marker}`);
    await mkdir(open);
    await chmod(open, 0o1777);
    const result = await fleet.env.fleet(['start', '--', 'true'], { env: { FLEET_STATE_DIR: open } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`is writable by others (mode 1777)`);
    expect(result.stderr).toContain(`chmod go-w ${open}`);
  });

  it('is refused by an agent, before its record of what ran or its deployment pin is used', async () => {
    const planted = join(shared, `agent-state-${fleet.env.marker}`);
    await other.run('mkdir', ['-m', '755', planted]);
    const result = await fleet.env.fleet(['agent'], { env: { FLEET_STATE_DIR: planted } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${planted} (fleet's state directory) is owned by uid ${other.uid}, not by you`);
    expect(existsSync(join(planted, 'ran'))).toBe(false);
    expect(existsSync(join(planted, 'deployments'))).toBe(false);
  });
});

describe('--outdir', () => {
  it('never writes through a link another user planted in a shared directory', async () => {
    const outdir = join(shared, `out-${fleet.env.marker}`);
    await other.run('mkdir', ['-m', '777', outdir]);
    await other.run('ln', ['-s', target, join(outdir, 'localhost.out')]);
    const result = await fleet.env.fleet(['invoke', '-c', 'localhost', '--outdir', outdir, '--', 'echo PWNED']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`${join(outdir, 'localhost.out')} is a symbolic link`);
    expect(await readFile(target, 'utf8')).toBe(attacker.tmp.original);
    expect((await stat(target)).size).toBe(attacker.tmp.original.length);
    // The run is stopped and its job removed, as an interrupted one is.
    expect(await fleet.env.json<JobJson[]>(['get'])).toEqual([]);
  });

  it("refuses another user's file planted there, and writes its own files", async () => {
    const outdir = join(shared, `out2-${fleet.env.marker}`);
    await other.run('mkdir', ['-m', '777', outdir]);
    await other.run('touch', [join(outdir, 'localhost.out')]);
    const theirs = await fleet.env.fleet(['invoke', '-c', 'localhost', '--outdir', outdir, '--', 'echo PWNED']);
    expect(theirs.code).not.toBe(0);
    expect(theirs.stderr).toContain(`${join(outdir, 'localhost.out')} is owned by uid ${other.uid}`);
    expect(await readFile(join(outdir, 'localhost.out'), 'utf8')).toBe('');

    const mine = join(shared, `out3-${fleet.env.marker}`);
    const ok = await fleet.env.fleet(['invoke', '-c', 'localhost', '--outdir', mine, '--', 'echo hello']);
    expect(ok.code).toBe(0);
    expect(await readFile(join(mine, 'localhost.out'), 'utf8')).toBe('hello\n');
  });
});
