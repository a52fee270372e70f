import { describe, expect, it } from 'vitest';
import { formatProgress, leafProgress, sumProgress } from './progress.js';

describe('progress', () => {
  it('counts done, failed, running and waiting of all, and the time so far', () => {
    const progress = sumProgress([
      { total: 100, completed: 7, failed: 1, stopped: 0, running: 32 },
      leafProgress('Running'),
      leafProgress('Completed'),
    ]);
    expect(formatProgress(progress, 12_440)).toBe('8 done · 1 failed · 33 running · 60 waiting of 102 · 12.4s');
  });

  it('names stopped children only when there are some', () => {
    expect(formatProgress({ total: 4, completed: 1, failed: 1, stopped: 2, running: 0 }, 0)).toBe(
      '1 done · 1 failed · 2 stopped · 0 running · 0 waiting of 4 · 0.0s',
    );
  });

  it('shows the bytes a transfer moved, of its total, before the time', () => {
    const progress = sumProgress([
      { total: 100, completed: 37, failed: 0, stopped: 0, running: 32, bytes: { done: 1.2 * 1024 ** 3, total: 3.5 * 1024 ** 3 } },
      { total: 1, completed: 0, failed: 0, stopped: 0, running: 0, bytes: { done: 0, total: 1024 } },
    ]);
    expect(formatProgress(progress, 12_440)).toBe('37 done · 0 failed · 32 running · 32 waiting of 101 · 1.2 GiB of 3.5 GiB · 12.4s');
  });

  it('shows the bytes alone when the total is not known, and never more done than the total', () => {
    const counts = { total: 2, completed: 0, failed: 0, stopped: 0, running: 2 };
    expect(formatProgress({ ...counts, bytes: { done: 5 * 1024 * 1024, total: null } }, 0)).toBe(
      '0 done · 0 failed · 2 running · 0 waiting of 2 · 5 MiB · 0.0s',
    );
    expect(
      formatProgress(
        sumProgress([
          { ...counts, bytes: { done: 10, total: 100 } },
          { ...counts, bytes: { done: 1, total: null } },
        ]),
        0,
      ),
    ).toContain('· 11 bytes ·');
    expect(formatProgress({ ...counts, bytes: { done: 300, total: 200 } }, 0)).toContain('· 200 bytes of 200 bytes ·');
  });

  it('shows no bytes for jobs that move no files', () => {
    expect(formatProgress(sumProgress([leafProgress('Running')]), 0)).not.toMatch(/bytes|B of/);
  });

  it('shows no bytes when there is nothing to move (a push of empty files)', () => {
    const counts = { total: 2, completed: 0, failed: 0, stopped: 0, running: 2 };
    expect(formatProgress({ ...counts, bytes: { done: 0, total: 0 } }, 0)).toBe('0 done · 0 failed · 2 running · 0 waiting of 2 · 0.0s');
  });

  it('drops the bytes, not the time, when the line is wider than the terminal', () => {
    const progress = { total: 100, completed: 37, failed: 0, stopped: 0, running: 32, bytes: { done: 1024, total: 4096 } };
    const whole = '37 done · 0 failed · 32 running · 31 waiting of 100 · 1 KiB of 4 KiB · 12.4s';
    expect(formatProgress(progress, 12_440, whole.length)).toBe(whole);
    expect(formatProgress(progress, 12_440, whole.length - 1)).toBe('37 done · 0 failed · 32 running · 31 waiting of 100 · 12.4s');
  });
});
