import { createPrivateKey } from 'node:crypto';
import { sealingKeyFromPrivate, vouchFor, type SealingIdentity, type SealingKey, type SealingScope } from './sealing.js';
import type { SigningKey } from './job-signature.js';

/**
 * The file in a node agent's state directory (mode 0600) that holds its
 * sealing key: `fleet deploy` makes the X25519 pair on the controller,
 * vouches for its public half with the deploying user's signing key (holder:
 * the entry the agent serves, which stays the same across the agent's
 * restarts while its id does not), and sends both. The private half never
 * passes through Redis.
 */
export const NODE_SEALING_FILE = 'sealing-key.json';

/** What the file holds: the private key (PKCS#8 PEM) and the identity the agent publishes. */
interface NodeSealingFileJson extends SealingIdentity {
  holder: string;
  privateKey: string;
}

/** The file's content for a node agent serving `scope.agentId` (its entry), vouched for by `signer`. */
export function nodeSealingFile(signer: SigningKey, scope: SealingScope, key: SealingKey): string {
  const json: NodeSealingFileJson = {
    holder: scope.agentId,
    ...vouchFor(signer, scope, key.publicKey),
    privateKey: key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** A node agent's sealing key and vouch, read back; throws an Error that says what is wrong with the file. */
export function parseNodeSealingFile(text: string): { key: SealingKey; holder: string; identity: SealingIdentity } {
  let json: Partial<NodeSealingFileJson>;
  try {
    json = JSON.parse(text) as Partial<NodeSealingFileJson>;
  } catch {
    throw new Error('not JSON');
  }
  const { holder, privateKey, publicKey, vouchKeyId, vouch } = json;
  if (typeof holder !== 'string' || typeof privateKey !== 'string' || typeof publicKey !== 'string') {
    throw new Error('no holder, private key or public key in it');
  }
  if (typeof vouchKeyId !== 'string' || typeof vouch !== 'string') throw new Error('no vouch in it');
  let key: SealingKey;
  try {
    key = sealingKeyFromPrivate(createPrivateKey(privateKey));
  } catch {
    throw new Error('its private key is not an X25519 key');
  }
  if (key.publicKey !== publicKey) throw new Error('its public key is not the private key’s');
  return { key, holder, identity: { publicKey, vouchKeyId, vouch } };
}
