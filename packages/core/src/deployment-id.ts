import { UsageError } from './errors.js';

/**
 * Which deployment a fleet process belongs to, so that a job signed for one
 * Redis is refused when planted in another with the same prefix and ids
 * (staging and prod on the default prefix, signed by the same operator key).
 *
 * FLEET_DEPLOYMENT names it when set. Otherwise Redis keeps a random id
 * under the prefix, made by the first fleet process that finds none, and
 * each controller and agent pins the id it first saw in its state directory
 * (keyed by the Redis endpoint and the prefix): from then on an id in Redis
 * that differs from the pin is refused, and a Redis that lost its id (flushed,
 * or restarted empty) gets the pinned one back rather than a new one.
 */

/** What to do next, given the id Redis holds and the one pinned here. */
export type DeploymentStep =
  /** Use `id`; `pin` when it is not pinned yet. */
  | { kind: 'use'; id: string; pin: boolean }
  /** Redis holds none: offer `id` (SET NX) and decide again from what Redis then holds. */
  | { kind: 'offer'; id: string }
  /** Redis holds another id than the pin: refuse. */
  | { kind: 'mismatch'; inRedis: string; pinned: string };

/** The pure decision; `fresh` makes a new random id when neither side has one. */
export function deploymentStep(inRedis: string | null, pinned: string | null, fresh: () => string): DeploymentStep {
  if (inRedis !== null) {
    if (pinned === null) return { kind: 'use', id: inRedis, pin: true };
    return inRedis === pinned ? { kind: 'use', id: inRedis, pin: false } : { kind: 'mismatch', inRedis, pinned };
  }
  return { kind: 'offer', id: pinned ?? fresh() };
}

/** A deployment name is one word of printable characters: it appears in refusals and in agent.env. */
export function checkDeploymentName(name: string, source: string): string {
  if (!/^[A-Za-z0-9._:@+-]{1,100}$/.test(name)) {
    throw new UsageError(`${source} ${JSON.stringify(name)} is not a deployment name`, {
      hint: 'use 1 to 100 letters, digits and . _ : @ + - (for example prod-eu)',
    });
  }
  return name;
}

/**
 * The file name of a pin: the endpoint and prefix made into one safe word
 * (a Redis URL holds `/` and `:`, a prefix `{}`), hashed by the caller.
 */
export function deploymentPinSubject(endpoint: string, prefix: string): string {
  return JSON.stringify([endpoint, prefix]);
}
