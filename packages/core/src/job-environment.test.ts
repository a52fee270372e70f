import { describe, expect, it } from 'vitest';
import { jobEnvironment } from './job-environment.js';

describe('jobEnvironment', () => {
  it("keeps the agent's own environment but none of fleet's settings, then adds the job's", () => {
    const agent = {
      PATH: '/usr/bin',
      HOME: '/home/ops',
      FLEET_REDIS_URL: 'redis://fleet:secret@10.0.0.5:6379',
      FLEET_REDIS_CLUSTER: 'redis://fleet:secret@10.0.0.5:7000',
      FLEET_SIGNING_KEY: '/home/ops/.config/fleet/signing-key',
      FLEET_SOMETHING_NEW: 'x',
      UNSET: undefined,
      // Not fleet's: the prefix is case-sensitive, as environment names are.
      fleet_notes: 'kept',
    };
    expect(jobEnvironment(agent, { GREETING: 'hi', FLEET_RANK: '2', FLEET_HOST: 'web1' })).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/ops',
      fleet_notes: 'kept',
      GREETING: 'hi',
      FLEET_RANK: '2',
      FLEET_HOST: 'web1',
    });
  });

  it("lets the job's own values win over the agent's", () => {
    expect(jobEnvironment({ LANG: 'C', PATH: '/bin' }, { LANG: 'en_GB.UTF-8' })).toEqual({ LANG: 'en_GB.UTF-8', PATH: '/bin' });
  });
});
