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
});
