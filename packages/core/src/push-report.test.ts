import { describe, expect, it } from 'vitest';
import { PUSH_REPORT_MAX_LINE, PushReport } from './push-report.js';

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
});
