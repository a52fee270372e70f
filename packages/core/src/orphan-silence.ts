import { DEFAULTS } from './defaults.js';

/** A connection's keepalive as ssh2 runs it: a probe every `intervalMs`, given up after `countMax` unanswered. */
export interface Keepalive {
  intervalMs: number;
  countMax: number;
}

/**
 * How long the orphan watcher on a host waits for a heartbeat before it ends
 * the command, for a connection with this keepalive: the agent must have
 * failed the child (`connection lost`) first. Cut off at T, the agent gives up
 * by T + interval × (countMax + 1) (its last answered probe may be just before
 * T, and it gives up at the probe after countMax unanswered ones); the
 * watcher's last heartbeat may be one heartbeat interval older than T. Hence
 * interval × (countMax + 1) + the heartbeat interval + a margin
 * (`DEFAULTS.orphanSilenceMarginMs`): 27 s with fleet's keepalive (5 s × 3),
 * 4 min 7 s with `ServerAliveInterval 60`. A keepalive that is off (interval
 * 0: ssh's default, which fleet replaces with its own) counts as fleet's.
 */
export function orphanSilenceMs(keepalive: Keepalive): number {
  const { intervalMs, countMax } =
    keepalive.intervalMs > 0 ? keepalive : { intervalMs: DEFAULTS.sshKeepaliveIntervalMs, countMax: DEFAULTS.sshKeepaliveCountMax };
  return intervalMs * (Math.max(0, countMax) + 1) + DEFAULTS.orphanHeartbeatMs + DEFAULTS.orphanSilenceMarginMs;
}
