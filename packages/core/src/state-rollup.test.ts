import { describe, expect, it } from 'vitest';
import { rollUpReason, rollUpState } from './state-rollup.js';

describe('rollUpState', () => {
  it('is Running while any child has not finished', () => {
    expect(rollUpState({ total: 3, completed: 1, failed: 1, stopped: 0 })).toBe('Running');
    expect(rollUpState({ total: 2, completed: 0, failed: 0, stopped: 0 })).toBe('Running');
  });

  it('is Failed if any child failed, even when others were stopped', () => {
    expect(rollUpState({ total: 3, completed: 1, failed: 1, stopped: 1 })).toBe('Failed');
  });

  it('is Stopped if none failed but one was stopped', () => {
    expect(rollUpState({ total: 2, completed: 1, failed: 0, stopped: 1 })).toBe('Stopped');
  });

  it('is Completed when every child completed', () => {
    expect(rollUpState({ total: 2, completed: 2, failed: 0, stopped: 0 })).toBe('Completed');
    expect(rollUpReason({ total: 2, completed: 2, failed: 0, stopped: 0 })).toBeNull();
  });

  it('says how many did not complete', () => {
    expect(rollUpReason({ total: 5, completed: 2, failed: 2, stopped: 1 })).toBe('2 failed, 1 stopped of 5 children');
  });
});
