import { keyTypeOfBlob } from '@fleet/core';
import { keyTypeAccepted } from './ssh2-connect-config.js';

/** One key an ssh-agent holds: its public blob (a certificate's, for a certificate) and comment. */
export interface AgentIdentity {
  blob: Buffer;
  comment: string;
  type: string;
}

/** SSH_AGENTC_REQUEST_IDENTITIES, framed: length 1, type 11. */
export const REQUEST_IDENTITIES = Buffer.from([0, 0, 0, 1, 11]);
const IDENTITIES_ANSWER = 12;

/**
 * Reads an agent's SSH_AGENT_IDENTITIES_ANSWER (its length prefix removed):
 * every key, certificates included, which ssh2's own agent client drops
 * without a word. Null when the message is not a whole answer.
 */
export function parseIdentitiesAnswer(message: Buffer): AgentIdentity[] | null {
  if (message[0] !== IDENTITIES_ANSWER || message.length < 5) return null;
  const count = message.readUInt32BE(1);
  const identities: AgentIdentity[] = [];
  let at = 5;
  const readString = (): Buffer | null => {
    if (at + 4 > message.length) return null;
    const length = message.readUInt32BE(at);
    if (at + 4 + length > message.length) return null;
    const value = message.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    return value;
  };
  for (let index = 0; index < count; index += 1) {
    const blob = readString();
    const comment = readString();
    if (blob === null || comment === null) return null;
    identities.push({ blob: Buffer.from(blob), comment: comment.toString('utf8'), type: keyTypeOfBlob(blob) });
  }
  return identities;
}

/** What ssh_config lets the agent offer: with IdentitiesOnly, only these public blobs (base64); and PubkeyAcceptedAlgorithms. */
export interface AgentIdentityRules {
  only: ReadonlySet<string> | null;
  pubkeyAcceptedAlgorithms: readonly string[];
}

/**
 * The agent's keys to offer, in the agent's order, as ssh would offer them:
 * with IdentitiesOnly only those whose public key is an IdentityFile's, and
 * only key types PubkeyAcceptedAlgorithms allows. Certificates cannot be
 * offered (ssh2 1.x has no certificate support): each is named in
 * `unusable`, never skipped silently.
 */
export function chooseAgentIdentities(
  identities: readonly AgentIdentity[],
  rules: AgentIdentityRules,
): { offered: AgentIdentity[]; unusable: string[] } {
  const offered: AgentIdentity[] = [];
  const unusable: string[] = [];
  for (const identity of identities) {
    if (identity.type.endsWith('-cert-v01@openssh.com')) {
      unusable.push(`agent certificate ${identity.comment || identity.type} (${identity.type}) ${CERTIFICATES_UNSUPPORTED}`);
      continue;
    }
    if (rules.only !== null && !rules.only.has(identity.blob.toString('base64'))) continue;
    if (!keyTypeAccepted(identity.type, rules.pubkeyAcceptedAlgorithms)) continue;
    offered.push(identity);
  }
  return { offered, unusable };
}

/** Why an OpenSSH user certificate is not used, in the log and in an authentication failure. */
export const CERTIFICATES_UNSUPPORTED =
  "not used: fleet's SSH library (ssh2 1.x, mscdex/ssh2#551) cannot authenticate with OpenSSH certificates; authorize the plain key on the host";
