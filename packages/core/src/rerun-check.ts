import type { KeyObject } from 'node:crypto';
import { describeCommand, type RunSpec } from './command-spec.js';
import { RerunRefused } from './errors.js';
import { leafRank } from './host-variables.js';
import { signatureDeployment, signatureKeyId, verifyJob, type SignedJobFields } from './job-signature.js';

/** The parent job to rerun, as Redis holds it. */
export interface RerunParent {
  id: number;
  /** Its displayed `command` field. */
  command: string;
  /** Its stored run spec (JSON text), which its children's signatures cover; null when there is none. */
  spec: string | null;
  childIds: readonly number[];
}

/** A failed child to run again, as Redis holds it. */
export interface RerunChild {
  id: number;
  location: string;
  /** Its displayed `command` field. */
  command: string;
  /** Its stored `signature` field, or null. */
  signature: string | null;
}

/** The operator's own key: the only one whose signatures a rerun repeats. */
export interface OwnKey {
  id: string;
  publicKey: KeyObject;
}

/**
 * What `invoke --rerun-failed` may run again: the parent's spec, but only
 * when every failed child still verifies under the operator's OWN key (not
 * merely one an agent trusts) over its stored id, host, rank, count and that
 * spec, expired or not, and the displayed `command` fields agree with it.
 * Anything a Redis writer changed (the spec, a host, the command shown, a
 * child taken from elsewhere) throws {@link RerunRefused} naming it: a rerun
 * signs anew what Redis holds, so it must first be what this user signed.
 * `signedBase` is what every signature covers besides the leaf's own fields
 * (the key prefix).
 */
export async function checkRerun(
  parent: RerunParent,
  failed: readonly RerunChild[],
  ownKey: OwnKey,
  signedBase: Omit<SignedJobFields, 'jobId' | 'location' | 'rank' | 'count' | 'spec'>,
): Promise<RunSpec> {
  const refuse = (why: string) => new RerunRefused(parent.id, why);
  if (parent.spec === null) throw refuse('it has no command on record');
  const spec = parent.spec;
  const trusted = (keyId: string) => (keyId === ownKey.id ? { id: ownKey.id, key: ownKey.publicKey, comment: '' } : undefined);
  for (const child of failed) {
    const host = `host ${child.location}'s child ${child.id}`;
    if (!parent.childIds.includes(child.id)) throw refuse(`${host} is not one of its children`);
    const fields: SignedJobFields = {
      ...signedBase,
      jobId: child.id,
      location: child.location,
      rank: leafRank({ id: child.id, rootId: parent.id }),
      count: parent.childIds.length,
      spec,
    };
    const verdict = await verifyJob(child.signature, fields, trusted, Date.now(), '', { ignoreExpiry: true });
    if (!verdict.ok) {
      const signer = signatureKeyId(child.signature);
      const signedFor = signatureDeployment(child.signature);
      throw refuse(
        signer !== null && signer !== ownKey.id
          ? `${host} is signed by key ${signer}, not by yours (${ownKey.id}); rerun only what you started`
          : signedFor !== null && signedFor !== fields.deployment
            ? `${host} was signed for deployment ${signedFor}, not this one (${fields.deployment}): it was copied from another Redis`
            : `${host} is not signed by your key (its spec or host was changed in Redis)`,
      );
    }
  }
  const run = parseSpec(spec);
  if (run === null) throw refuse('its stored spec is not a run spec');
  const described = describeCommand(run.command);
  if (parent.command !== described) {
    throw refuse(`its command field (${JSON.stringify(parent.command)}) is not the command it was signed with (it was changed in Redis)`);
  }
  const shownElsewhere = failed.find((child) => child.command !== described);
  if (shownElsewhere !== undefined) {
    throw refuse(
      `host ${shownElsewhere.location}'s child ${shownElsewhere.id} shows the command ${JSON.stringify(shownElsewhere.command)}, not the one it was signed with (it was changed in Redis)`,
    );
  }
  return run;
}

function parseSpec(text: string): RunSpec | null {
  try {
    const value = JSON.parse(text) as Partial<RunSpec> | null;
    return typeof value === 'object' && value !== null && typeof value.command === 'object' && value.command !== null
      ? (value as RunSpec)
      : null;
  } catch {
    return null;
  }
}
