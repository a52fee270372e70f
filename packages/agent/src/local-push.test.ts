import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContentMismatchError, sha256Hex, type ContentManifest, type PushCommandSpec, type PushEntry } from '@fleet/core';
import type { ExecutionRequest } from './executor.js';
import { pushLocally } from './local-push.js';
import { runForTest } from './local-run.fixture.js';

// The push receiver run here as a node agent runs it: real /bin/sh, real files.
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-push-unit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const stored = new Map<string, Buffer>();
function file(path: string, text: string | Buffer, mode = 0o644, mtime = 1_700_000_000): PushEntry {
  const bytes = Buffer.from(text);
  const sha256 = sha256Hex(bytes);
  stored.set(sha256, bytes);
  const manifest: ContentManifest = { size: bytes.length, sha256, chunks: bytes.length === 0 ? [] : [sha256] };
  return { type: 'file', path, mode, mtime, manifest };
}

async function push(
  command: Omit<PushCommandSpec, 'kind' | 'recursive' | 'preserve'> & Partial<PushCommandSpec>,
  content: ExecutionRequest['content'] = (manifest) =>
    Readable.from(
      manifest.chunks.map((sha) => stored.get(sha) as Buffer),
      { objectMode: true },
    ) as AsyncIterable<Buffer>,
) {
  return runForTest(pushLocally, { kind: 'push', recursive: false, preserve: false, ...command }, { content });
}

describe('the push receiver, run locally', () => {
  it('writes a file under the destination name, then says unchanged when pushed again', async () => {
    const target = join(dir, 'app.conf');
    const first = await push({ entries: [file('local.conf', 'a=1\n')], dest: target });
    expect(first).toMatchObject({ exitCode: 0, failure: null, stdout: `changed ${target}\n` });
    expect(await readFile(target, 'utf8')).toBe('a=1\n');
    const again = await push({ entries: [file('local.conf', 'a=1\n')], dest: target });
    expect(again.stdout).toBe(`unchanged ${target}\n`);
    expect((await readdir(dir)).sort()).toEqual(['app.conf']);
  });

  it('reads no content for a file the host already has, counts it moved, and sends the rest', async () => {
    const kept = file('kept.bin', Buffer.alloc(300_000, 1));
    const changed = file('changed.conf', 'new\n');
    await push({ entries: [kept, file('changed.conf', 'old\n')], dest: `${dir}/` });
    const read: string[] = [];
    const again = await push({ entries: [kept, changed], dest: `${dir}/` }, (manifest) => {
      read.push(manifest.sha256);
      return Readable.from([stored.get(manifest.sha256) as Buffer]) as AsyncIterable<Buffer>;
    });
    expect(again).toMatchObject({
      failure: null,
      stdout: `unchanged ${join(dir, 'kept.bin')}\nchanged ${join(dir, 'changed.conf')}\n`,
      transferred: 300_000 + 4,
    });
    expect(read).toEqual([changed.type === 'file' ? changed.manifest.sha256 : '']);
    expect(await readFile(join(dir, 'changed.conf'), 'utf8')).toBe('new\n');
  });

  it('puts entries into an existing directory, with odd names, links and -p', async () => {
    const odd = 'a b\n"c\'é';
    const entries: PushEntry[] = [
      { type: 'dir', path: 'tree', mode: 0o750, mtime: 1_600_000_000 },
      file(`tree/${odd}`, 'x', 0o600, 1_500_000_000),
      file('tree/empty', ''),
      { type: 'symlink', path: 'tree/link', mode: 0o777, mtime: 1, target: odd },
    ];
    const result = await push({ entries, dest: `${dir}/`, recursive: true, preserve: true });
    expect(result.failure).toBeNull();
    expect(await readFile(join(dir, 'tree', odd), 'utf8')).toBe('x');
    expect(await readFile(join(dir, 'tree', 'empty'), 'utf8')).toBe('');
    expect(await readlink(join(dir, 'tree', 'link'))).toBe(odd);
    const info = await stat(join(dir, 'tree', odd));
    expect(info.mode & 0o777).toBe(0o600);
    expect(info.mtimeMs / 1000).toBe(1_500_000_000);
    const tree = await stat(join(dir, 'tree'));
    expect(tree.mode & 0o777).toBe(0o750);
    expect(tree.mtimeMs / 1000).toBe(1_600_000_000);
    expect(result.stdout).toContain(`changed ${JSON.stringify(join(dir, 'tree', odd))}\n`);
    expect((await lstat(join(dir, 'tree', 'link'))).isSymbolicLink()).toBe(true);
  });

  it('fails naming the path when the directory is missing or not writable, leaving nothing behind', async () => {
    const missing = await push({ entries: [file('f', 'x')], dest: join(dir, 'nope', 'f') });
    expect(missing.failure).toBe(`${join(dir, 'nope', 'f')}: no such directory`);
    const locked = join(dir, 'locked');
    await mkdir(locked);
    await chmod(locked, 0o500);
    const denied = await push({ entries: [file('f', 'x')], dest: join(locked, 'f') });
    if (process.getuid?.() !== 0) expect(denied.failure).toMatch(new RegExp(`^${join(locked, 'f')}: permission denied`));
    const several = await push({ entries: [file('f', 'x'), file('g', 'y')], dest: join(dir, 'absent') });
    expect(several.failure).toBe(`${join(dir, 'absent')}: no such directory`);
  });

  it('refuses content that fails its check mid-file, and leaves nothing under the name nor beside it', async () => {
    const target = join(dir, 'f');
    await writeFile(target, 'old');
    const result = await push(
      { entries: [file('f', 'good content')], dest: target },
      // A reader as ChunkStore.read is: the first chunk passes, the second is refused.
      async function* () {
        yield await Promise.resolve(Buffer.from('good '));
        throw new ContentMismatchError('a'.repeat(64), 'b'.repeat(64), 1, 'hashes to something else');
      },
    );
    expect(result.failure).toMatch(/^refused: stored chunk 1 \(b{64}\)/);
    expect(await readFile(target, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['f']);
  });

  it('says why the content could not be read, not only that the transfer was cut', async () => {
    const target = join(dir, 'f');
    const result = await push({ entries: [file('f', 'some content')], dest: target }, async function* () {
      yield await Promise.resolve(Buffer.from('some '));
      throw new Error('chunk 1 is gone from the store');
    });
    expect(result.failure).toBe("the push's content could not be read: chunk 1 is gone from the store");
    expect(await readdir(dir)).toEqual([]);
  });
});
