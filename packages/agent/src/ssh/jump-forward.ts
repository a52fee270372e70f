import { formatSeconds, SshConnectError, type SshConnectFailure } from '@fleet/core';
import type { SshLease } from './ssh-lease.js';
import type { SshRoute } from './ssh-route.js';
import type { SshTarget } from './ssh-target.js';
import type { SshTransport } from './ssh-transport.js';

/** Why sshd refused to open a forwarded channel (RFC 4254 §5.1), and what it means here. */
const OPEN_FAILURES: Record<number, SshConnectFailure> = { 1: 'forward-prohibited', 2: 'refused', 4: 'other' };

/**
 * Opens the stream a host behind a jump host is reached by: a channel slot
 * on the jump host's pooled connection (so its channels count against the
 * same MaxSessions budget as commands), and on it a channel forwarded to the
 * host, as `ssh -W` opens one. Closing the transport closes the channel and
 * gives the slot back. Failures name the hop: the jump host's own as `jump
 * host NAME: ...`, the forward's as `via NAME: ...`.
 */
export async function forwardThroughJump(
  acquire: (target: SshTarget) => Promise<SshLease>,
  route: Extract<SshRoute, { kind: 'jump' }>,
  target: SshTarget,
): Promise<SshTransport> {
  const hop = route.hops.at(-1) ?? route.via.options.host;
  let lease: SshLease;
  try {
    lease = await acquire(route.via);
  } catch (error) {
    throw asJumpHostFailure(error, hop, route.via);
  }
  const { hostName, port } = target.options;
  let channel;
  try {
    channel = await withTimeout(lease.forwardOut(hostName, port), target.connectTimeoutMs);
  } catch (error) {
    lease.release();
    throw forwardFailure(error, route, target);
  }
  let closed = false;
  channel.on('close', () => lease.release());
  return {
    sock: channel,
    close() {
      if (closed) return;
      closed = true;
      channel.destroy();
      lease.release();
    },
    whyEnded: () => Promise.resolve(null),
  };
}

/** The jump host's own failure, named as a jump host's; one already named deeper down the chain passes through. */
function asJumpHostFailure(error: unknown, hop: string, via: SshTarget): SshConnectError {
  if (error instanceof SshConnectError) {
    if (error.jumpHost !== null) return error;
    return new SshConnectError(error.reason, error.host, error.port, error.kind, { cause: error, jumpHost: hop, via: error.via });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new SshConnectError(reason, via.options.hostName, via.options.port, 'other', { cause: error, jumpHost: hop });
}

function forwardFailure(error: unknown, route: Extract<SshRoute, { kind: 'jump' }>, target: SshTarget): SshConnectError {
  const { hostName, port } = target.options;
  const where = `${hostName}:${port}`;
  const options = { cause: error, via: route.hops };
  if (error instanceof ForwardTimeout) {
    return new SshConnectError(`connection timed out after ${formatSeconds(target.connectTimeoutMs)}`, hostName, port, 'timeout', options);
  }
  const reasonCode = (error as { reason?: unknown }).reason;
  const said = (error instanceof Error ? error.message : String(error)).replace(/^\(SSH\) Channel open failure: /, '');
  if (typeof reasonCode === 'number' && reasonCode in OPEN_FAILURES) {
    const kind = OPEN_FAILURES[reasonCode] as SshConnectFailure;
    if (kind === 'forward-prohibited') {
      return new SshConnectError(
        `the jump host may not forward to ${where} (it said "${said}": see AllowTcpForwarding and PermitOpen in its sshd_config)`,
        hostName,
        port,
        kind,
        options,
      );
    }
    if (/refused/i.test(said)) return new SshConnectError(`${where}: connection refused`, hostName, port, 'refused', options);
    if (/no route|unreachable/i.test(said))
      return new SshConnectError(`${where}: host unreachable`, hostName, port, 'unreachable', options);
    if (/timed out/i.test(said)) return new SshConnectError(`${where}: connection timed out`, hostName, port, 'timeout', options);
    if (/name or service|resolve|not known/i.test(said)) {
      return new SshConnectError(`the jump host cannot resolve host name ${hostName}`, hostName, port, 'unresolved', options);
    }
    return new SshConnectError(`cannot connect to ${where}: ${said}`, hostName, port, kind, options);
  }
  return new SshConnectError(`cannot open a channel to ${where}: ${said}`, hostName, port, 'other', options);
}

class ForwardTimeout extends Error {}

/** The forward, or a {@link ForwardTimeout} once `ms` have passed; a channel opened too late is closed. */
function withTimeout<T extends { destroy(): unknown }>(opening: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new ForwardTimeout());
    }, ms);
    opening.then(
      (value) => {
        clearTimeout(timer);
        if (late) value.destroy();
        else resolve(value);
      },
      (error: Error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
