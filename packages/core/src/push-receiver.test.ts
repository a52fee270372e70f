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
import { entryFrames, probeFrames, pushFrames } from './push-frames.js';
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
    'date',
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
  /** A directory put first on the receiver's PATH by a test that wraps one of its tools. */
  let wrappers = '';
  afterEach(() => {
    if (wrappers !== '') rmSync(wrappers, { recursive: true, force: true });
    wrappers = '';
  });
  const basePath = () => shell.path || `${applets}:${process.env.PATH}`;
  const env = () => ({ PATH: wrappers === '' ? basePath() : `${wrappers}:${basePath()}`, HOME: dir });

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
  /** The receiver as a process of its own, its input, output and error as pipes, for a test that feeds it in steps. */
  function spawnReceiver() {
    const child = spawn(shell.argv[0]!, [...shell.argv.slice(1), '-c', buildPushReceiver()], {
      cwd: dir,
      env: env(),
      stdio: ['pipe', 'pipe', 'pipe'],
      ...asUser,
    });
    child.stdin.on('error', () => {});
    return child;
  }
  const leftovers = (at = dir) => readdirSync(at).filter((name) => name.startsWith('.fleet-push'));

  it('pushes several files in a row, over 1 MiB and not a whole number of blocks, then finds them unchanged', () => {
    const big = randomBytes(1024 * 1024 * 2 + 12_345);
    const entries = [file('one', 'first\n'), file('big.bin', big), file('two', Buffer.alloc(70_000, 7)), file('three', '')];
    const first = receive(entries, `${dir}/`);
    expect(first).toMatchObject({ code: 0, failure: null });
    // No file is there yet: the probe finds none (an empty file is not probed: it has no content to spare).
    expect(first.stdout).toBe('placed into\nprobed\nchanged 0\nchanged 1\nchanged 2\nchanged 3\n');
    expect(readFileSync(join(dir, 'one'), 'utf8')).toBe('first\n');
    expect(readFileSync(join(dir, 'big.bin')).equals(big)).toBe(true);
    expect(readFileSync(join(dir, 'two')).equals(Buffer.alloc(70_000, 7))).toBe(true);
    expect(readFileSync(join(dir, 'three'), 'utf8')).toBe('');
    const again = receive(entries, `${dir}/`);
    // Fed without waiting for the probe's answer: the content comes anyway, and is read and dropped.
    expect(again.stdout).toBe('placed into\nhave 0\nhave 1\nhave 2\nprobed\nunchanged 0\nunchanged 1\nunchanged 2\nunchanged 3\n');
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

    /**
     * The attacker's race, made certain: sha256sum, wrapped, swaps the file
     * for a link to one outside once it has hashed it for the second time
     * (the probe, then the check before -p's chmod and touch).
     */
    function swapAfterSecondHash(name: string) {
      wrappers = mkdtempSync(join(tmpdir(), 'fleet-push-wrappers-'));
      chmodSync(wrappers, 0o755);
      const real = spawnSync('sh', ['-c', 'command -v sha256sum'], { encoding: 'utf8', env: { PATH: basePath() } }).stdout.trim();
      const script = [
        '#!/bin/sh',
        `sum=$(${real}); status=$?`,
        `n=$(($(cat ${dir}/.count 2>/dev/null || echo 0) + 1)); echo $n > ${dir}/.count`,
        `[ $n != 2 ] || ln -sf ${join(outside, 'keep')} ${join(dir, name)}`,
        'printf "%s\\n" "$sum"',
        'exit $status',
        '',
      ].join('\n');
      writeFileSync(join(wrappers, 'sha256sum'), script, { mode: 0o755 });
      writeFileSync(join(dir, name), 'same\n', { mode: 0o600 });
      if (isRoot) chownSync(join(dir, name), 65534, 65534);
    }

    it('with -p, a file the host has that becomes a link after its check is not chmod-ed or touched through it (same frame)', async () => {
      swapAfterSecondHash('conf');
      const result = await exchange([file('conf', 'same\n', 0o640)], `${dir}/`, { preserve: true });
      expect(result).toMatchObject({ code: 1, failure: 'entry 0: changed on the host during the push (push again)' });
      expect(result.stdout).toBe('placed into\nhave 0\nprobed\n');
      untouched();
    });

    it('with -p, a file sent whole whose content matches and that becomes a link after its check is not chmod-ed or touched through it', () => {
      swapAfterSecondHash('conf');
      const result = receive([file('conf', 'same\n', 0o640)], `${dir}/`, { preserve: true });
      expect(result).toMatchObject({ code: 1, failure: 'entry 0: changed on the host during the push (push again)' });
      untouched();
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

  /**
   * As the agent does it: the destination and the probe, then, once the
   * receiver has answered, the entries with content only for what it lacks;
   * `between` runs after the answer. Returns the output and how many bytes
   * of input it took.
   */
  async function exchange(entries: PushEntry[], dest: string, options: { preserve?: boolean; between?: () => void } = {}) {
    const command: PushCommandSpec = { kind: 'push', entries, dest, recursive: true, preserve: options.preserve ?? false };
    const child = spawnReceiver();
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const answered = new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('probed\n')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const probe = Buffer.from(probeFrames(command));
    child.stdin.write(probe);
    await answered;
    options.between?.();
    const have = new Set([...stdout.matchAll(/^have (\d+)$/gm)].map((match) => Number(match[1])));
    const rest = Buffer.concat(
      entryFrames(command, have).map((frame) =>
        frame.kind === 'text' ? Buffer.from(frame.text) : (contents.get(frame.manifest.sha256) as Buffer),
      ),
    );
    child.stdin.end(rest);
    const code = await exited;
    const failure = stderr.split(`${REMOTE_MARKER}error:`)[1]?.split('\n')[0] ?? null;
    return { code, stdout: stdout.replace(/^[^\n]*\n/, ''), failure, inputBytes: probe.length + rest.length };
  }

  it('answers the probe with the files it has, and takes those without their content', async () => {
    const big = randomBytes(3 * 1024 * 1024);
    const entries = [file('big.bin', big), file('small', 'small\n'), file('empty', ''), link('ln', 'big.bin')];
    writeFileSync(join(dir, 'small'), 'other\n');
    if (isRoot) chownSync(join(dir, 'small'), 65534, 65534);
    const first = await exchange(entries, `${dir}/`);
    expect(first).toMatchObject({ code: 0, failure: null, stdout: 'placed into\nprobed\nchanged 0\nchanged 1\nchanged 2\nchanged 3\n' });
    expect(first.inputBytes).toBeGreaterThan(big.length);
    const again = await exchange(entries, `${dir}/`);
    expect(again).toMatchObject({
      code: 0,
      failure: null,
      stdout: 'placed into\nhave 0\nhave 1\nprobed\nunchanged 0\nunchanged 1\nunchanged 2\nunchanged 3\n',
    });
    // Frames only: not a byte of the content.
    expect(again.inputBytes).toBeLessThan(1024);
    expect(readFileSync(join(dir, 'big.bin')).equals(big)).toBe(true);
    expect(leftovers()).toEqual([]);
  });

  it('with -p gives a file it has the mode and time, without its content', async () => {
    const entries = [file('conf', 'same\n', 0o640)];
    writeFileSync(join(dir, 'conf'), 'same\n', { mode: 0o600 });
    if (isRoot) chownSync(join(dir, 'conf'), 65534, 65534);
    const result = await exchange(entries, `${dir}/`, { preserve: true });
    expect(result).toMatchObject({ code: 0, failure: null, stdout: 'placed into\nhave 0\nprobed\nunchanged 0\n' });
    expect(statSync(join(dir, 'conf')).mode & 0o777).toBe(0o640);
    expect(statSync(join(dir, 'conf')).mtimeMs).toBe(1_700_000_000_000);
  });

  it('fails a file it had at the probe and that changed before its turn, rather than keep the wrong content', async () => {
    const entries = [file('conf', 'pushed\n')];
    writeFileSync(join(dir, 'conf'), 'pushed\n');
    if (isRoot) chownSync(join(dir, 'conf'), 65534, 65534);
    const result = await exchange(entries, `${dir}/`, { between: () => writeFileSync(join(dir, 'conf'), 'edited meanwhile\n') });
    expect(result).toMatchObject({ code: 1, failure: 'entry 0: changed on the host during the push (push again)' });
    expect(result.stdout).toBe('placed into\nhave 0\nprobed\n');
    // Touched but the same bytes: still the same file.
    writeFileSync(join(dir, 'conf'), 'pushed\n');
    const touched = await exchange(entries, `${dir}/`, { between: () => writeFileSync(join(dir, 'conf'), 'pushed\n') });
    expect(touched).toMatchObject({ code: 0, failure: null, stdout: 'placed into\nhave 0\nprobed\nunchanged 0\n' });
  });

  it('fails a file it had at the probe and that was rewritten in place with the same size, within the same second', async () => {
    // Same size, same inode, and (at a second's grain) the same times: only its content tells.
    const entries = [file('conf', 'pushed\n')];
    writeFileSync(join(dir, 'conf'), 'pushed\n');
    if (isRoot) chownSync(join(dir, 'conf'), 65534, 65534);
    const result = await exchange(entries, `${dir}/`, { between: () => writeFileSync(join(dir, 'conf'), 'EVIL!!\n') });
    expect(result).toMatchObject({ code: 1, failure: 'entry 0: changed on the host during the push (push again)' });
    expect(result.stdout).toBe('placed into\nhave 0\nprobed\n');
  });

  it('refuses a `same` frame for a file it does not have (it never said it had it)', () => {
    const entries = [file('conf', 'pushed\n')];
    const command: PushCommandSpec = { kind: 'push', entries, dest: `${dir}/`, recursive: false, preserve: false };
    const frames = probeFrames(command) + (entryFrames(command, new Set([0]))[0] as { text: string }).text + 'end\n';
    const result = spawnSync(shell.argv[0]!, [...shell.argv.slice(1), '-c', buildPushReceiver()], {
      input: frames,
      cwd: dir,
      env: env(),
      encoding: 'utf8',
      ...asUser,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${REMOTE_MARKER}error:entry 0: changed on the host during the push (push again)`);
    expect(readdirSync(dir)).toEqual([]);
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
    const child = spawnReceiver();
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
