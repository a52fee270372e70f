import { describe, expect, it } from 'vitest';
import { DEFAULTS } from './defaults.js';
import { orphanSilenceMs } from './orphan-silence.js';

describe('the orphan watcher silence', () => {
  it("is 27 s with fleet's keepalive (5 s x 3)", () => {
    expect(orphanSilenceMs({ intervalMs: DEFAULTS.sshKeepaliveIntervalMs, countMax: DEFAULTS.sshKeepaliveCountMax })).toBe(27_000);
  });

  it('follows ServerAliveInterval and ServerAliveCountMax: the agent gives up first', () => {
    const silence = orphanSilenceMs({ intervalMs: 60_000, countMax: 3 });
    // The agent gives up at the latest (countMax + 1) intervals after the cut; the
    // watcher's last heartbeat may be one heartbeat interval before the cut.
    expect(silence - DEFAULTS.orphanHeartbeatMs).toBeGreaterThan(60_000 * 4);
    expect(silence).toBe(247_000);
  });

  it("counts a keepalive that is off as fleet's own, which the agent then runs", () => {
    expect(orphanSilenceMs({ intervalMs: 0, countMax: 3 })).toBe(27_000);
  });
});
