import { describe, expect, it } from 'vitest';
import type { PushCommandSpec } from './command-spec.js';
import { PUSH_REPORT_MAX_LINE, PushReport } from './push-report.js';

const sha = 'a'.repeat(64);
/** A file with content (0), a directory (1), a link (2), an empty file (3). */
const command: PushCommandSpec = {
  kind: 'push',
  entries: [
    { type: 'file', path: 'f', mode: 0o644, mtime: 0, manifest: { size: 3, sha256: sha, chunks: [sha] } },
    { type: 'dir', path: 'd', mode: 0o755, mtime: 0 },
    { type: 'symlink', path: 'l', mode: 0o777, mtime: 0, target: 'f' },
    { type: 'file', path: 'e', mode: 0o644, mtime: 0, manifest: { size: 0, sha256: sha, chunks: [] } },
  ],
  dest: '/srv/',
  recursive: true,
  preserve: false,
};

describe('PushReport', () => {
  it('turns index lines into paths', () => {
    const report = new PushReport({
      kind: 'push',
      entries: [{ type: 'dir', path: 'conf', mode: 0o755, mtime: 0 }],
      dest: '~/conf.new',
      recursive: true,
      preserve: false,
    });
    expect(report.push(Buffer.from('placed as\nchanged 0\n')).toString()).toBe('changed ~/conf.new\n');
  });

  it('holds at most PUSH_REPORT_MAX_LINE of a line without a newline (a hostile host cannot fill the agent)', () => {
    const report = new PushReport({ kind: 'push', entries: [], dest: '/tmp/', recursive: false, preserve: false });
    const piece = Buffer.alloc(16 * 1024, 'a');
    let out = 0;
    for (let i = 0; i < 64; i += 1) out += report.push(piece).length;
    // Everything past the cap has passed on; what is held is under it.
    expect(out).toBeGreaterThanOrEqual(64 * piece.length - PUSH_REPORT_MAX_LINE);
    expect(64 * piece.length - out).toBeLessThanOrEqual(PUSH_REPORT_MAX_LINE);
    expect(report.end().toString()).toBe(`${'a'.repeat(64 * piece.length - out)}\n`);
  });

  it('takes `have` only for a probed file of this push: not a directory, a link, an empty file or an index beyond it', async () => {
    const report = new PushReport(command);
    const out = report.push(Buffer.from('placed into\nhave 0\nhave 1\nhave 2\nhave 3\nhave 4\nhave 99999999999\nprobed\n'));
    expect(out.toString()).toBe('');
    expect(report.probedSeen).toBe(true);
    expect([...((await report.probed) ?? [])]).toEqual([0]);
  });

  it('keeps the answer it gave at `probed`: a later `have` changes nothing the feed was told', async () => {
    const report = new PushReport(command);
    report.push(Buffer.from('placed into\nprobed\n'));
    const answer = await report.probed;
    report.push(Buffer.from('have 0\nprobed\n'));
    report.end();
    expect([...(answer ?? [])]).toEqual([]);
    expect([...((await report.probed) ?? [])]).toEqual([]);
  });

  it('settles the probe with null at the end of a receiver that never said `probed`', async () => {
    const report = new PushReport(command);
    report.push(Buffer.from('placed into\nhave 0\n'));
    report.end();
    expect(await report.probed).toBeNull();
    expect(report.probedSeen).toBe(false);
  });
});
