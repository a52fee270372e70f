import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChangedFileCache } from './changed-file-cache.js';

describe('ChangedFileCache', () => {
  it('parses a file once, again after it changes, and makes a missing file from null', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-cache-'));
    const file = join(dir, 'config');
    const parsed: (string | null)[] = [];
    const cache = new ChangedFileCache((content) => {
      parsed.push(content?.toString() ?? null);
      return content?.toString().toUpperCase() ?? 'MISSING';
    });
    try {
      expect(await cache.get(file)).toBe('MISSING');
      await writeFile(file, 'one');
      expect(await cache.get(file)).toBe('ONE');
      expect(await cache.get(file)).toBe('ONE');
      await writeFile(file, 'two, longer');
      expect(await cache.get(file)).toBe('TWO, LONGER');
      await rm(file);
      expect(await cache.get(file)).toBe('MISSING');
      expect(parsed).toEqual([null, 'one', 'two, longer', null]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
