// ssh2's list of what it implements; it exports no such list from its entry point.
declare module 'ssh2/lib/protocol/constants.js' {
  const constants: Record<'SUPPORTED_KEX' | 'SUPPORTED_CIPHER' | 'SUPPORTED_SERVER_HOST_KEY' | 'SUPPORTED_MAC', string[]>;
  export default constants;
}
