import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SshConfigResolver } from './ssh-config-source.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-ssh-config-source-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const local = () => ({ localUser: 'me', uid: 1000, homeDir: dir, localHost: 'box', env: {} });
const query = { host: 'web1', user: null, port: null };

/** A write that is seen as a change even within the file system's timestamp resolution. */
async function rewrite(path: string, text: string, seconds: number): Promise<void> {
  await writeFile(path, text);
  await utimes(path, seconds, seconds);
}

describe('SshConfigResolver', () => {
  it('keeps a resolution while the files it read are unchanged, and sees a change in an included file or a new file in a globbed directory', async () => {
    const config = join(dir, 'config');
    await mkdir(join(dir, 'conf.d'));
    await writeFile(config, `Include ${dir}/conf.d/*.conf\nHost *\n  Port 2000\n`);
    await rewrite(join(dir, 'conf.d', 'a.conf'), 'User first\n', 1000);
    const files = { userFile: config, named: true, systemFile: '/nonexistent' };
    const resolver = new SshConfigResolver();
    const first = await resolver.resolve(query, files, local());
    expect(first.options).toMatchObject({ user: 'first', port: 2000 });
    expect(await resolver.resolve(query, files, local())).toBe(first);

    await rewrite(join(dir, 'conf.d', 'a.conf'), 'User second\n', 2000);
    expect((await resolver.resolve(query, files, local())).options.user).toBe('second');

    await writeFile(join(dir, 'conf.d', '0.conf'), 'Port 1\n');
    await utimes(join(dir, 'conf.d'), 3000, 3000);
    expect((await resolver.resolve(query, files, local())).options.port).toBe(1);
  });

  it('reports a skipped Match line once, whatever the number of hosts', async () => {
    const config = join(dir, 'config');
    await writeFile(config, 'Match tagged x\n  Port 1\n');
    const warnings: string[] = [];
    const resolver = new SshConfigResolver((warning) => warnings.push(`${warning.file}:${warning.line}`));
    for (const host of ['a', 'b', 'c']) {
      const { options } = await resolver.resolve(
        { host, user: null, port: null },
        { userFile: config, named: true, systemFile: '/x' },
        local(),
      );
      expect(options.port).toBe(22);
    }
    expect(warnings).toEqual([`${config}:1`]);
  });
});
