import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PushCommandSpec, PushEntry } from './command-spec.js';
import { pushFrames } from './push-frames.js';
import { buildPushReceiver } from './push-receiver.js';
import { REMOTE_MARKER } from './remote-command.js';

// The push receiver alone, fed its frames on stdin as the agent feeds them,
// under /bin/sh with the host's tools and under BusyBox sh with BusyBox's
// applets first on PATH (an Alpine host), as root and as a user who is not.

const hasBusybox = spawnSync('busybox', ['true']).status === 0;
const isRoot = process.getuid?.() === 0;
/** Root runs the receiver as `nobody`, so that permissions count as they do for a login user. */
const asUser = isRoot ? { uid: 65534, gid: 65534 } : {};

let applets: string;
beforeAll(() => {
  applets = mkdtempSync(join(tmpdir(), 'fleet-push-busybox-'));
  chmodSync(applets, 0o755);
  if (!hasBusybox) return;
  const busybox = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim();
  for (const applet of [
    'dd',
    'head',
    'wc',
    'mktemp',
    'mv',
    'rm',
    'chmod',
    'chown',
    'mkdir',
    'ln',
    'touch',
    'stat',
    'readlink',
    'sha256sum',
    'tr',
    'cat',
  ]) {
    symlinkSync(busybox, join(applets, applet));
  }
});
afterAll(() => rmSync(applets, { recursive: true, force: true }));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-push-receiver-'));
  chmodSync(dir, 0o755);
  if (isRoot) chownSync(dir, 65534, 65534);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const contents = new Map<string, Buffer>();
function file(path: string, content: string | Buffer, mode = 0o644): PushEntry {
  const bytes = Buffer.from(content);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  contents.set(sha256, bytes);
  return { type: 'file', path, mode, mtime: 1_700_000_000, manifest: { size: bytes.length, sha256, chunks: [sha256] } };
}
const directory = (path: string, mode = 0o755): PushEntry => ({ type: 'dir', path, mode, mtime: 1_600_000_000 });
const link = (path: string, target: string): PushEntry => ({ type: 'symlink', path, mode: 0o777, mtime: 1, target });

function input(command: PushCommandSpec, verify = false): Buffer {
  return Buffer.concat(
    pushFrames(command, { verify }).map((frame) =>
      frame.kind === 'text' ? Buffer.from(frame.text) : (contents.get(frame.manifest.sha256) as Buffer),
    ),
  );
}

type Shell = { name: string; argv: string[]; path: string };
const shells: Shell[] = [
  { name: '/bin/sh', argv: ['/bin/sh'], path: process.env.PATH ?? '/usr/bin:/bin' },
  ...(hasBusybox ? [{ name: 'busybox sh', argv: ['busybox', 'sh'], path: '' }] : []),
];

describe.each(shells)('the push receiver under $name', (shell) => {
  const env = () => ({ PATH: shell.path || `${applets}:${process.env.PATH}`, HOME: dir });

  function receive(entries: PushEntry[], dest: string, options: { preserve?: boolean; user?: boolean; verify?: boolean } = {}) {
    const command: PushCommandSpec = { kind: 'push', entries, dest, recursive: true, preserve: options.preserve ?? false };
    const result = spawnSync(shell.argv[0]!, [...shell.argv.slice(1), '-c', buildPushReceiver()], {
      input: input(command, options.verify),
      cwd: dir,
      env: env(),
      encoding: 'utf8',
      ...(options.user === false ? {} : asUser),
    });
    const failure = result.stderr.split(`${REMOTE_MARKER}error:`)[1]?.split('\n')[0] ?? null;
    return { code: result.status, stdout: result.stdout.replace(/^[^\n]*\n/, ''), failure };
  }
  const leftovers = (at = dir) => readdirSync(at).filter((name) => name.startsWith('.fleet-push'));

  it('pushes several files in a row, over 1 MiB and not a whole number of blocks, then finds them unchanged', () => {
    const big = randomBytes(1024 * 1024 * 2 + 12_345);
    const entries = [file('one', 'first\n'), file('big.bin', big), file('two', Buffer.alloc(70_000, 7)), file('three', '')];
    const first = receive(entries, `${dir}/`);
    expect(first).toMatchObject({ code: 0, failure: null });
    expect(first.stdout).toBe('placed into\nchanged 0\nchanged 1\nchanged 2\nchanged 3\n');
    expect(readFileSync(join(dir, 'one'), 'utf8')).toBe('first\n');
    expect(readFileSync(join(dir, 'big.bin')).equals(big)).toBe(true);
    expect(readFileSync(join(dir, 'two')).equals(Buffer.alloc(70_000, 7))).toBe(true);
    expect(readFileSync(join(dir, 'three'), 'utf8')).toBe('');
    const again = receive(entries, `${dir}/`);
    expect(again.stdout).toBe('placed into\nunchanged 0\nunchanged 1\nunchanged 2\nunchanged 3\n');
    expect(leftovers()).toEqual([]);
  });

  it("with VERIFY, refuses a file whose bytes do not hash to the frame's SHA-256, keeping nothing of it (deploy)", () => {
    writeFileSync(join(dir, 'agent.mjs'), 'old\n');
    if (isRoot) chownSync(join(dir, 'agent.mjs'), 65534, 65534);
    const good = file('good', 'good\n');
    // Bytes of the right length whose hash is not the one sent: what a disk or a transfer that went wrong would leave.
    const bad = file('agent.mjs', 'new\n');
    const sent = createHash('sha256').update('new\n').digest('hex');
    contents.set(sent, Buffer.from('bad\n'));
    // The shared content map is put back whatever fails here: the other tests send 'new\n' under this hash.
    try {
      const refused = receive([good, bad], `${dir}/`, { verify: true });
      expect(refused).toMatchObject({ code: 1, failure: 'entry 1: what landed does not hash to the SHA-256 sent' });
      expect(readFileSync(join(dir, 'agent.mjs'), 'utf8')).toBe('old\n');
      expect(readFileSync(join(dir, 'good'), 'utf8')).toBe('good\n');
      expect(leftovers()).toEqual([]);
      // Without VERIFY (a push, whose content was checked as it left Redis), the length alone is checked.
      expect(receive([bad], `${dir}/`)).toMatchObject({ code: 0, failure: null });
    } finally {
      contents.set(sent, Buffer.from('new\n'));
    }
  });

  describe('never follows a symbolic link already on the host', () => {
    let outside: string;
    beforeEach(() => {
      outside = mkdtempSync(join(tmpdir(), 'fleet-push-outside-'));
      chmodSync(outside, 0o755);
      if (isRoot) chownSync(outside, 65534, 65534);
      writeFileSync(join(outside, 'keep'), 'outside\n', { mode: 0o600 });
      if (isRoot) chownSync(join(outside, 'keep'), 65534, 65534);
    });
    afterEach(() => rmSync(outside, { recursive: true, force: true }));
    const untouched = () => {
      expect(readdirSync(outside)).toEqual(['keep']);
      expect(readFileSync(join(outside, 'keep'), 'utf8')).toBe('outside\n');
      expect(statSync(join(outside, 'keep')).mode & 0o7777).toBe(0o600);
      expect(statSync(outside).mode & 0o7777).toBe(0o755);
      expect(statSync(outside).mtimeMs).not.toBe(1_600_000_000_000);
    };

    it('a dir entry whose path is a link fails, writing nothing through it (with -p: no chmod or touch of its target)', () => {
      mkdirSync(join(dir, 'tree'));
      if (isRoot) chownSync(join(dir, 'tree'), 65534, 65534);
      symlinkSync(outside, join(dir, 'tree', 'conf'));
      const entries = [directory('tree'), directory('tree/conf', 0o700), file('tree/conf/new', 'x')];
      const result = receive(entries, `${dir}/`, { preserve: true });
      expect(result.failure).toBe('entry 1: is a symbolic link on the host');
      untouched();
    });

    it('a file or a link pushed over a link to a directory replaces the link', () => {
      symlinkSync(outside, join(dir, 'f'));
      symlinkSync(outside, join(dir, 'l'));
      const result = receive([file('f', 'pushed\n'), link('l', 'elsewhere')], `${dir}/`, { preserve: true });
      expect(result).toMatchObject({ code: 0, failure: null });
      untouched();
      expect(lstatSync(join(dir, 'f')).isFile()).toBe(true);
      expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('pushed\n');
      expect(readlinkSync(join(dir, 'l'))).toBe('elsewhere');
      expect(leftovers()).toEqual([]);
    });

    it('a file pushed over a link to a file replaces the link, and gets its own mode, not the link’s 0777', () => {
      symlinkSync(join(outside, 'keep'), join(dir, 'f'));
      const result = receive([file('f', 'pushed\n', 0o640)], join(dir, 'f'));
      expect(result).toMatchObject({ code: 0, failure: null });
      untouched();
      expect(lstatSync(join(dir, 'f')).isFile()).toBe(true);
      expect(statSync(join(dir, 'f')).mode & 0o777).toBe(0o640 & ~0o022);
    });
  });

  it.skipIf(!isRoot)('as root, a replaced file keeps its owner and group', () => {
    writeFileSync(join(dir, 'owned'), 'old\n');
    chownSync(join(dir, 'owned'), 65534, 65534);
    const result = receive([file('owned', 'new\n')], join(dir, 'owned'), { user: false });
    expect(result.failure).toBeNull();
    const info = statSync(join(dir, 'owned'));
    expect([info.uid, info.gid, readFileSync(join(dir, 'owned'), 'utf8')]).toEqual([65534, 65534, 'new\n']);
  });

  it('fills a tree whose directories are read-only (0555, 0500), then gives them their modes', () => {
    const entries = [directory('ro', 0o555), directory('ro/inner', 0o500), file('ro/inner/f', 'x'), file('ro/g', 'y')];
    for (const preserve of [false, true]) {
      const result = receive(entries, `${dir}/${preserve ? 'p' : 'n'}`, { preserve });
      expect(result).toMatchObject({ code: 0, failure: null });
      const at = join(dir, preserve ? 'p' : 'n');
      expect(readFileSync(join(at, 'inner', 'f'), 'utf8')).toBe('x');
      expect(statSync(join(at, 'inner')).mode & 0o777).toBe(0o500);
      expect(statSync(at).mode & 0o777).toBe(0o555);
      chmodSync(join(at, 'inner'), 0o755);
    }
  });

  it('a single directory pushed twice to a name that did not exist lands in the same place', () => {
    const entries = [directory('conf'), file('conf/app.conf', 'a=1\n')];
    for (let round = 0; round < 2; round += 1) {
      const result = receive(entries, '~/conf.new');
      expect(result).toMatchObject({ code: 0, failure: null });
      expect(readdirSync(join(dir, 'conf.new'))).toEqual(['app.conf']);
    }
  });

  it('takes a ~/ destination whose first name starts with - as a name, not an option', () => {
    mkdirSync(join(dir, '-d'));
    if (isRoot) chownSync(join(dir, '-d'), 65534, 65534);
    const result = receive([file('f', 'x')], '~/-d/f.conf');
    expect(result).toMatchObject({ code: 0, failure: null });
    expect(readFileSync(join(dir, '-d', 'f.conf'), 'utf8')).toBe('x');
  });

  it('input cut mid-file with its output gone (the agent died) leaves no temporary file', async () => {
    const command: PushCommandSpec = {
      kind: 'push',
      entries: [file('cut.bin', Buffer.alloc(100_000, 1))],
      dest: `${dir}/`,
      recursive: false,
      preserve: false,
    };
    const whole = input(command);
    const child = spawn(shell.argv[0]!, [...shell.argv.slice(1), '-c', buildPushReceiver()], {
      cwd: dir,
      env: env(),
      stdio: ['pipe', 'pipe', 'pipe'],
      ...asUser,
    });
    child.stdin.on('error', () => {});
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    // Once the receiver has said how it takes the destination, its readers go, then its input ends mid-file.
    await new Promise<void>((resolve) => {
      let seen = '';
      child.stdout.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('placed into')) resolve();
      });
      child.stdin.write(whole.subarray(0, whole.length - 50_000));
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.stdout.destroy();
    child.stderr.destroy();
    child.stdin.end();
    await exited;
    expect(leftovers()).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });
});

it('the receiver names its failures with the wrapper marker', () => {
  expect(buildPushReceiver()).toContain(`${REMOTE_MARKER}error:`);
});
