import { chmod, link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex, type PulledEntry, type RunSpec } from '@fleet/core';
import { nodeExecutorRouter } from './executor-router.js';
import { pullLocally } from './local-pull.js';
import { runForTest } from './local-run.fixture.js';
import type { PullSink } from './pull-recorder.js';
import type { ThreadPool } from './threads/thread-pool.js';

// The pull sender run here as a node agent runs it (real /bin/sh, real tar),
// into a sink that keeps what it is given.
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-pull-unit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function memorySink() {
  const chunks = new Map<string, Buffer>();
  const entries: PulledEntry[] = [];
  let sealed: number | null = null;
  let dropped = false;
  const sink: PullSink = {
    putChunk: (chunk) => Promise.resolve(void chunks.set(chunk.sha256, chunk.bytes)),
    putEntry: (index, entry) => Promise.resolve(void (entries[index] = entry)),
    seal: (count) => Promise.resolve(void (sealed = count)),
    drop: () => Promise.resolve(void (dropped = true)),
  };
  return { sink, chunks, entries, sealed: () => sealed, dropped: () => dropped };
}

async function pull(paths: string[], options: { recursive?: boolean; maxBytes?: number } = {}) {
  const kept = memorySink();
  const command = {
    kind: 'pull',
    paths,
    recursive: options.recursive ?? false,
    preserve: false,
    maxBytes: options.maxBytes ?? 1 << 30,
  } as const;
  const result = await runForTest(pullLocally, command, { pulled: kept.sink });
  return { ...result, ...kept };
}

describe('a pull run locally (localhost, and every child of a node agent)', () => {
  it('is what a node agent runs for a pull', () => {
    const spec = { command: { kind: 'pull' } } as RunSpec;
    expect(nodeExecutorRouter({} as ThreadPool)('web1', spec)).toBe(pullLocally);
  });

  it('records a tree: files with their chunks, links as links, a hard link as the same content', async () => {
    await mkdir(join(dir, 'tree', 'sub'), { recursive: true });
    await writeFile(join(dir, 'tree', 'a.txt'), 'alpha\n');
    await link(join(dir, 'tree', 'a.txt'), join(dir, 'tree', 'sub', 'same.txt'));
    await symlink('/etc/passwd', join(dir, 'tree', 'out'));
    await chmod(join(dir, 'tree', 'a.txt'), 0o4755);
    const pulled = await pull([join(dir, 'tree')], { recursive: true });
    expect(pulled).toMatchObject({ exitCode: 0, failure: null });
    expect(pulled.sealed()).toBe(pulled.entries.length);
    const byPath = new Map(pulled.entries.map((entry) => [entry.path, entry]));
    expect([...byPath.keys()].sort()).toEqual(['tree', 'tree/a.txt', 'tree/out', 'tree/sub', 'tree/sub/same.txt']);
    const file = byPath.get('tree/a.txt');
    expect(file).toMatchObject({ type: 'file', mode: 0o755, manifest: { size: 6, sha256: sha256Hex(Buffer.from('alpha\n')) } });
    expect(byPath.get('tree/sub/same.txt')).toMatchObject({ type: 'file', manifest: file?.type === 'file' ? file.manifest : null });
    expect(byPath.get('tree/out')).toMatchObject({ type: 'symlink', target: '/etc/passwd' });
    expect([...pulled.chunks.values()].map(String)).toEqual(['alpha\n']);
  });

  it('over the cap: fails naming the setting, and drops what it recorded', async () => {
    await writeFile(join(dir, 'big'), Buffer.alloc(300_000, 1));
    const pulled = await pull([join(dir, 'big')], { maxBytes: 100_000 });
    expect(pulled.failure).toMatch(/^the host sent more than FLEET_MAX_PULL_BYTES \(97\.7 KiB\)/);
    expect(pulled.dropped()).toBe(true);
    expect(pulled.sealed()).toBeNull();
  });

  it('a missing path fails naming it; a ~/ path is read in the home directory', async () => {
    const pulled = await pull([join(dir, 'absent'), '~/.fleet-pull-test-absent']);
    expect(pulled.failure).toBe(`${join(dir, 'absent')}: no such file or directory (and 1 more, on stderr)`);
    expect(pulled.stderr).toContain('~/.fleet-pull-test-absent: no such file or directory');
  });
});
