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

/** ssh2's own default lists for this build, in its order of preference (what it offers when given no list). */
export const SSH2_DEFAULT_ALGORITHMS: Readonly<Ssh2AlgorithmLists> = {
  kex: constants.DEFAULT_KEX,
  cipher: constants.DEFAULT_CIPHER,
  serverHostKey: constants.DEFAULT_SERVER_HOST_KEY,
  hmac: constants.DEFAULT_MAC,
};
