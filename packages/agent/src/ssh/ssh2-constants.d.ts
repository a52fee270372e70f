// ssh2's list of what it implements; it exports no such list from its entry point.
declare module 'ssh2/lib/protocol/constants.js' {
  const constants: Record<
    | 'SUPPORTED_KEX'
    | 'SUPPORTED_CIPHER'
    | 'SUPPORTED_SERVER_HOST_KEY'
    | 'SUPPORTED_MAC'
    | 'DEFAULT_KEX'
    | 'DEFAULT_CIPHER'
    | 'DEFAULT_SERVER_HOST_KEY'
    | 'DEFAULT_MAC',
    string[]
  >;
  export default constants;
}
