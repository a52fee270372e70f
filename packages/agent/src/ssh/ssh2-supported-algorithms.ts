import { createRequire } from 'node:module';
import type { Ssh2AlgorithmLists } from './ssh2-connect-config.js';

// ssh2 does not export what it implements; its constants module is the one place that says it.
const constants = createRequire(import.meta.url)('ssh2/lib/protocol/constants.js') as Record<
  'SUPPORTED_KEX' | 'SUPPORTED_CIPHER' | 'SUPPORTED_SERVER_HOST_KEY' | 'SUPPORTED_MAC',
  string[]
>;

/** The algorithms this ssh2 build can negotiate (it checks Node's crypto for ciphers and MACs). */
export const SSH2_SUPPORTED_ALGORITHMS: Readonly<Ssh2AlgorithmLists> = {
  kex: constants.SUPPORTED_KEX,
  cipher: constants.SUPPORTED_CIPHER,
  serverHostKey: constants.SUPPORTED_SERVER_HOST_KEY,
  hmac: constants.SUPPORTED_MAC,
};
