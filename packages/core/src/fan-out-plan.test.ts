import { describe, expect, it } from 'vitest';
import { planFanOut } from './fan-out-plan.js';

const hosts = (count: number) => Array.from({ length: count }, (_, index) => `web${index + 1}`);

describe('planFanOut', () => {
  it('starts every child when the throttle allows, and nothing waits', () => {
    expect(planFanOut(hosts(3), { throttle: 32, waveSize: null })).toEqual({
      dispatchNow: ['web1', 'web2', 'web3'],
      pending: [],
      waveEnd: null,
    });
  });

  it('starts the first children up to the throttle, in host-list order; the rest wait in order', () => {
    const plan = planFanOut(hosts(5), { throttle: 2, waveSize: null });
    expect(plan.dispatchNow).toEqual(['web1', 'web2']);
    expect(plan.pending).toEqual(['web3', 'web4', 'web5']);
  });

  it('starts only the first wave, however wide the throttle', () => {
    expect(planFanOut(hosts(10), { throttle: 32, waveSize: 3 })).toEqual({
      dispatchNow: ['web1', 'web2', 'web3'],
      pending: ['web4', 'web5', 'web6', 'web7', 'web8', 'web9', 'web10'],
      waveEnd: 3,
    });
  });

  it('starts the first wave up to the throttle; the wave still ends after waveSize children', () => {
    const plan = planFanOut(hosts(10), { throttle: 2, waveSize: 4 });
    expect(plan.dispatchNow).toEqual(['web1', 'web2']);
    expect(plan.pending).toHaveLength(8);
    expect(plan.waveEnd).toBe(4);
  });

  it('ends a wave larger than the fan-out with its last child', () => {
    expect(planFanOut(hosts(2), { throttle: 1, waveSize: 5 })).toMatchObject({ dispatchNow: ['web1'], pending: ['web2'], waveEnd: 2 });
  });

  it('plans an empty fan-out as nothing to do', () => {
    expect(planFanOut([], { throttle: 4, waveSize: 2 })).toEqual({ dispatchNow: [], pending: [], waveEnd: 0 });
  });
});
