import { describe, expect, it } from 'vitest';
import { describeDroppedInReason, describeDroppedOutput, OutputBudget } from './output-budget.js';

describe('OutputBudget', () => {
  it('has room for what the cap leaves beside the bytes held unreceived', () => {
    const budget = new OutputBudget(10);
    expect(budget.room(0)).toBe(10);
    expect(budget.room(7)).toBe(3);
    // More held than the cap (a record kept whatever the cap, such as the one saying what was dropped): no room, not less.
    expect(budget.room(12)).toBe(0);
    expect(budget.exhausted).toBe(false);
  });

  it('keeps nothing more once anything was dropped, so that what was kept has no hole in it', () => {
    const budget = new OutputBudget(10);
    budget.drop(3);
    budget.drop(100);
    expect(budget.dropped).toBe(103);
    expect(budget.exhausted).toBe(true);
    expect(budget.room(0)).toBe(0);
  });

  it('says what was dropped in the record and in the reason with the same figures', () => {
    expect(describeDroppedOutput(3 * 1024 * 1024, 16 * 1024 * 1024)).toBe(
      'output exceeded 16 MiB: dropped the remaining 3 MiB (set FLEET_MAX_OUTPUT to keep more)',
    );
    expect(describeDroppedInReason(6_081_741, 16 * 1024 * 1024)).toBe('5.8 MiB of output past FLEET_MAX_OUTPUT (16 MiB) was dropped');
  });
});
