import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { settledWithin } from './settled-within.js';

describe('settledWithin', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('says true for work that resolves or rejects before the deadline', async () => {
    await expect(settledWithin(Promise.resolve('done'), 1_000)).resolves.toBe(true);
    await expect(settledWithin(Promise.reject(new Error('Connection is closed')), 1_000)).resolves.toBe(true);
  });

  it('says false once the deadline passes with the work still pending, and leaves no timer behind', async () => {
    const answer = settledWithin(new Promise(() => {}), 1_000);
    await vi.advanceTimersByTimeAsync(999);
    let outcome: boolean | null = null;
    void answer.then((value) => (outcome = value));
    await vi.advanceTimersByTimeAsync(0);
    expect(outcome).toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
