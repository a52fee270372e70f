import type { RunSpec } from './command-spec.js';

/**
 * The variables fleet gives every child's command, as pssh gives
 * `PSSH_HOST`/`PSSH_NODENUM` and clush `%host`/`%rank`: where it runs and
 * its place in its job. They travel with `--env` values (in the set-up header
 * over SSH, never on argv), so sshd's `AcceptEnv` has no say.
 */
export const HOST_VARIABLE_NAMES = ['FLEET_HOST', 'FLEET_RANK', 'FLEET_COUNT', 'FLEET_JOB_ID'] as const;

/** What an agent knows of a leaf it has claimed and whose signature it has checked. */
export interface LeafPlace {
  /** The leaf's own id (signed). */
  id: number;
  /** Its top-level job: its parent, or itself for a `start` job (the rank it gives is signed). */
  rootId: number;
  /** The host entry it runs on, as written (signed); `localhost` for a `start` job. */
  location: string;
  /** How many children its parent has; 1 for a `start` job (signed). */
  count: number;
}

/**
 * A leaf's 0-based place in its job. Children are numbered rootId+1,
 * rootId+2, … in host-list order, so the rank is the id's offset; a `start`
 * job (its own root) is rank 0. Signed with the job, so an agent that has
 * checked the signature can trust it however it came by the root id.
 */
export function leafRank(place: Pick<LeafPlace, 'id' | 'rootId'>): number {
  return place.id === place.rootId ? 0 : place.id - place.rootId - 1;
}

/** The variables for one leaf: a `start` job is `localhost`, rank 0 of 1. */
export function hostVariables(place: LeafPlace): Record<(typeof HOST_VARIABLE_NAMES)[number], string> {
  return {
    FLEET_HOST: place.location,
    FLEET_RANK: String(leafRank(place)),
    FLEET_COUNT: String(place.count),
    FLEET_JOB_ID: String(place.id),
  };
}

/**
 * The run spec a leaf's executor gets: the signed spec with fleet's variables
 * added to its environment. Fleet's win over `--env` values of the same
 * names, so a command can rely on them being what fleet says.
 */
export function withHostVariables<Spec extends RunSpec>(spec: Spec, place: LeafPlace): Spec {
  return { ...spec, env: { ...spec.env, ...hostVariables(place) } };
}
