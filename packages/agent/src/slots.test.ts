import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Slots } from './slots.js';

describe('Slots', () => {
  it('never runs more than its size at once, newcomers included, and runs everyone in order', async () => {
    const slots = new Slots(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (n: number) =>
      slots.run(async () => {
        running += 1;
        peak = Math.max(peak, running);
        order.push(n);
        await delay(5);
        running -= 1;
      });
    const first = [1, 2, 3, 4].map(task);
    await delay(7); // the first two have finished and handed their slots over
    const late = [5, 6].map(task);
    await Promise.all([...first, ...late]);
    expect(peak).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
