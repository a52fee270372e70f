import { readFile } from 'node:fs/promises';
import {
  generateSealingKey,
  openSealedSecret,
  parseNodeSealingFile,
  vouchFor,
  type SealingIdentity,
  type SealingKey,
  type SigningKey,
} from '@fleet/core';
import type { FleetStore } from '@fleet/store';

/**
 * An agent's sealing key and the vouch it publishes (see core's sealing.ts).
 * The vouch names the key's holder: the agent's id for an agent on the
 * controller's side, the entry it serves for a node's agent (whose vouch
 * `fleet deploy` made before the agent's id existed, and which outlives the
 * agent's restarts, each with an id of its own).
 */
export interface AgentSealing {
  key: SealingKey;
  /** The published identity, given the holder's name; null when no trusted key vouched. */
  identity: (holder: string) => SealingIdentity | null;
}

/**
 * An agent started by this user: a fresh key pair, in memory only (it dies
 * with the agent), vouched for by this user's own signing key, which the
 * CLI that seals trusts. Without a signing key (none made yet) nothing is
 * vouched for, and jobs with a password fail on this agent, saying why.
 */
export function ownAgentSealing(signingKey: SigningKey | null, deployment: string, prefix: string): AgentSealing {
  const key = generateSealingKey();
  return {
    key,
    identity: (holder) => (signingKey === null ? null : vouchFor(signingKey, { deployment, prefix, agentId: holder }, key.publicKey)),
  };
}

/**
 * A node's agent: the key pair and vouch `fleet deploy` sent into its state
 * directory (NODE_SEALING_FILE, see node-sealing-file.ts), vouched for the
 * entry it serves. Null, logged, when there is none (deployed by an earlier
 * fleet) or it cannot be read: the agent runs, and its `--ask-sudo-pass`
 * children fail saying why. The vouch itself is the CLI's to check.
 */
export async function deployedAgentSealing(file: string, log: (line: string) => void): Promise<AgentSealing | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    log(
      code === 'ENOENT'
        ? `no sealing key at ${file} (deployed by an earlier fleet): --ask-sudo-pass children fail here until fleet deploy runs again`
        : `cannot read the sealing key ${file} (${code ?? String(error)}): --ask-sudo-pass children fail here`,
    );
    return null;
  }
  try {
    const { key, holder, identity } = parseNodeSealingFile(text);
    return { key, identity: (asked) => (asked === holder ? identity : null) };
  } catch (error) {
    log(
      `the sealing key ${file} is unusable (${(error as Error).message}): --ask-sudo-pass children fail here until fleet deploy runs again`,
    );
    return null;
  }
}

/**
 * Opens the password sealed to this agent for a top-level job; a reason when
 * there is none it can open.
 */
export async function openJobPassword(
  store: FleetStore,
  sealing: AgentSealing | null,
  scope: { deployment: string; agentId: string; rootId: number },
): Promise<{ password: string } | { refusal: string }> {
  const why = 'no --ask-sudo-pass password was sealed to this agent';
  if (sealing === null) {
    return {
      refusal: `${why}: it has no sealing key (a node's agent gets one from fleet deploy: run fleet deploy for it again; its log says why)`,
    };
  }
  const sealed = await store.sealed.get(scope.rootId, scope.agentId);
  if (sealed === null) {
    return { refusal: `${why}: its sealing key is not vouched for by a key the invoking fleet trusts, or the job has ended` };
  }
  const opened = openSealedSecret(sealed, sealing.key, {
    deployment: scope.deployment,
    // Sealed for the deployment's base prefix, whichever shard holds the job (its id is one of a kind).
    prefix: store.keys.coordinatorPrefix,
    agentId: scope.agentId,
    jobId: scope.rootId,
  });
  if (opened === null)
    return { refusal: 'the --ask-sudo-pass password sealed to this agent does not open with its key (changed in Redis?)' };
  const password = opened.toString('utf8');
  opened.fill(0);
  return { password };
}
