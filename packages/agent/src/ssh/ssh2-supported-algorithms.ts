// A static import, so that the bundles (the deployed node agent has no node_modules) carry it.
import constants from 'ssh2/lib/protocol/constants.js';
import type { Ssh2AlgorithmLists } from './ssh2-connect-config.js';

/** The algorithms this ssh2 build can negotiate (it checks Node's crypto for ciphers and MACs). */
export const SSH2_SUPPORTED_ALGORITHMS: Readonly<Ssh2AlgorithmLists> = {
  kex: constants.SUPPORTED_KEX,
  cipher: constants.SUPPORTED_CIPHER,
  serverHostKey: constants.SUPPORTED_SERVER_HOST_KEY,
  hmac: constants.SUPPORTED_MAC,
};
