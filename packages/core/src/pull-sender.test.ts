import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PullCommandSpec } from './command-spec.js';
import { buildPullSender } from './pull-sender.js';
import { REMOTE_MARKER, REMOTE_STDOUT_MARKER } from './remote-command.js';
import { TarFormatError, TarReader, type TarMember } from './tar-reader.js';

// The pull sender alone, under /bin/sh with the host's GNU tar and under
// BusyBox sh with BusyBox's tar first on PATH (an Alpine host); its stream
// read back with the agent's TarReader.

const hasBusybox = spawnSync('busybox', ['true']).status === 0;
const isRoot = process.getuid?.() === 0;
const asUser = isRoot ? { uid: 65534, gid: 65534 } : {};

let home: string;
let applets: string;
const big = randomBytes(3 * 1024 * 1024 + 17);
const longName = `${'long-'.repeat(30)}name`;
const odd = 'a b "c\' é ☃';
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'fleet-pull-home-'));
  applets = mkdtempSync(join(tmpdir(), 'fleet-pull-busybox-'));
  chmodSync(home, 0o755);
  chmodSync(applets, 0o755);
  mkdirSync(join(home, 'tree', 'sub'), { recursive: true });
  writeFileSync(join(home, 'tree', 'empty'), '');
  writeFileSync(join(home, 'tree', 'big.bin'), big);
  writeFileSync(join(home, 'tree', 'sub', longName), 'long');
  writeFileSync(join(home, 'tree', odd), 'odd');
  symlinkSync('../../etc/passwd', join(home, 'tree', 'outward'));
  writeFileSync(join(home, 'secret'), 'no');
  chmodSync(join(home, 'secret'), 0o000);
  for (const path of ['tree', join('tree', 'sub')]) chmodSync(join(home, path), 0o755);
  if (isRoot) spawnSync('chown', ['-R', '65534:65534', join(home, 'tree')]);
  if (!hasBusybox) return;
  const busybox = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim();
  for (const applet of ['tar', 'tr', 'cat']) symlinkSync(busybox, join(applets, applet));
});
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(applets, { recursive: true, force: true });
});

interface Sent {
  members: (TarMember & { sha256: string | null })[];
  error: string | null;
  status: number | null;
}

function send(shell: string[], paths: string[], recursive: boolean, path: string = process.env.PATH ?? ''): Sent {
  const command: PullCommandSpec = { kind: 'pull', paths, recursive, preserve: false, maxBytes: 1 << 30 };
  const run = spawnSync(shell[0] as string, [...shell.slice(1), '-c', buildPullSender(command)], {
    cwd: home,
    env: { HOME: home, PATH: path },
    maxBuffer: 64 * 1024 * 1024,
    ...asUser,
  });
  const stdout = run.stdout;
  expect(stdout.subarray(0, REMOTE_STDOUT_MARKER.length).toString()).toBe(REMOTE_STDOUT_MARKER);
  const reader = new TarReader();
  const members: Sent['members'] = [];
  let hash: ReturnType<typeof createHash> | null = null;
  for (const event of reader.push(stdout.subarray(REMOTE_STDOUT_MARKER.length))) {
    if (event.kind === 'member') {
      members.push({ ...event.member, sha256: null });
      hash = event.member.type === 'file' ? createHash('sha256') : null;
    } else if (event.kind === 'data') hash?.update(event.bytes);
    else (members.at(-1) as Sent['members'][number]).sha256 = hash?.digest('hex') ?? null;
  }
  reader.end();
  const error = run.stderr
    .toString()
    .split('\n')
    .find((line) => line.startsWith(`${REMOTE_MARKER}error:`));
  return { members, error: error?.slice(`${REMOTE_MARKER}error:`.length) ?? null, status: run.status };
}

const shells: [string, string[], () => string | undefined][] = [
  ['/bin/sh with GNU tar', ['/bin/sh'], () => undefined],
  ['BusyBox sh with BusyBox tar', ['busybox', 'sh'], () => `${applets}:${process.env.PATH ?? ''}`],
];

describe.each(shells)('the pull sender under %s', (_name, shell, path) => {
  it.skipIf(shell[0] === 'busybox' && !hasBusybox)('sends a tree as tar: files byte-exact, long and odd names, links as links', () => {
    const sent = send(shell, ['~/tree'], true, path());
    expect(sent.error).toBeNull();
    expect(sent.status).toBe(0);
    const byName = new Map(sent.members.map((member) => [member.name.toString('utf8').replace(/^\.\//, '').replace(/\/$/, ''), member]));
    expect(byName.get('tree')?.type).toBe('dir');
    expect(byName.get('tree/empty')).toMatchObject({ type: 'file', size: 0, sha256: createHash('sha256').digest('hex') });
    expect(byName.get('tree/big.bin')?.sha256).toBe(createHash('sha256').update(big).digest('hex'));
    expect(byName.get(`tree/sub/${longName}`)?.size).toBe(4);
    expect(byName.get(`tree/${odd}`)?.size).toBe(3);
    const link = byName.get('tree/outward');
    expect(link?.type).toBe('symlink');
    expect(link?.linkName.toString()).toBe('../../etc/passwd');
  });

  it.skipIf(shell[0] === 'busybox' && !hasBusybox)(
    'names a missing path, an unreadable one and a directory without -r, and still sends the rest',
    () => {
      const sent = send(shell, ['~/nope', '~/secret', '~/tree', '~/tree/empty'], false, path());
      expect(sent.status).toBe(1);
      expect(sent.error).toBe('~/nope: no such file or directory (and 2 more, on stderr)');
      expect(sent.members.map((member) => member.name.toString())).toEqual(['./empty']);
    },
  );
});

describe('TarReader against a hostile stream', () => {
  it('refuses a header whose checksum is wrong, and a stream cut inside a member', () => {
    const block = Buffer.alloc(512);
    block.write('x', 0);
    expect(() => [...new TarReader().push(block)]).toThrow(TarFormatError);
    const run = spawnSync('tar', ['-cf', '-', '-C', home, './tree/big.bin']);
    const reader = new TarReader();
    expect([...reader.push(run.stdout.subarray(0, 4096))].length).toBeGreaterThan(0);
    expect(() => reader.end()).toThrow(/ended in the middle/);
  });
});
