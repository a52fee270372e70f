import { describe, expect, it } from 'vitest';
import { jobVia } from './job-via.js';

describe('the Via of a child', () => {
  it('names the agent that ran it after the way it went', () => {
    expect(jobVia('ssh', 'box-12-a1b2c3')).toBe('ssh, agent box-12-a1b2c3');
    expect(jobVia('local', 'box-12-a1b2c3')).toBe('local, agent box-12-a1b2c3');
  });

  it('names the agent once, when the way already does', () => {
    expect(jobVia('agent node1-7-ffffff', 'node1-7-ffffff')).toBe('agent node1-7-ffffff');
  });

  it('is the way alone before an agent took it, and the agent alone without a way', () => {
    expect(jobVia('ssh', null)).toBe('ssh');
    expect(jobVia(null, null)).toBeNull();
    expect(jobVia(null, 'box-12-a1b2c3')).toBe('agent box-12-a1b2c3');
  });
});
