/**
 * OpenSSH's client keyword table (readconf.c, OpenSSH 9.x up to 10.x): every
 * keyword ssh accepts, and how it treats the ones fleet does not act on. A
 * keyword missing here is one ssh refuses unless IgnoreUnknown names it.
 */
export type SshKeywordKind =
  /** Fleet reads it (see ssh-config-values.ts for its value). */
  | 'fleet'
  /** Structure: Host, Match, Include, IgnoreUnknown. */
  | 'structure'
  /** Accepted and not acted on by fleet (ssh acts on it: forwarding, ControlMaster, …). */
  | 'other'
  /** Obsolete: ssh accepts it without a word (Protocol) or with a debug line. */
  | 'deprecated'
  /** Compiled out or removed: ssh says "Unsupported option" and goes on. */
  | 'unsupported';

/** The keywords fleet reads, by their canonical (lower-case) names; aliases map onto these. */
export const FLEET_KEYWORDS = [
  'hostname',
  'user',
  'port',
  'identityfile',
  'identitiesonly',
  'identityagent',
  'certificatefile',
  'userknownhostsfile',
  'globalknownhostsfile',
  'stricthostkeychecking',
  'hostkeyalias',
  'connecttimeout',
  'connectionattempts',
  'serveraliveinterval',
  'serveralivecountmax',
  'proxyjump',
  'proxycommand',
  'ciphers',
  'kexalgorithms',
  'hostkeyalgorithms',
  'pubkeyacceptedalgorithms',
  'macs',
] as const;
export type FleetKeyword = (typeof FLEET_KEYWORDS)[number];

const ALIASES: Record<string, FleetKeyword> = {
  identityfile2: 'identityfile',
  pubkeyacceptedkeytypes: 'pubkeyacceptedalgorithms',
};

const STRUCTURE = ['host', 'match', 'include', 'ignoreunknown'];
const DEPRECATED = [
  'protocol',
  'cipher',
  'fallbacktorsh',
  'globalknownhostsfile2',
  'rhostsauthentication',
  'userknownhostsfile2',
  'useroaming',
  'usersh',
  'useprivilegedport',
];
const UNSUPPORTED = [
  'afstokenpassing',
  'kerberosauthentication',
  'kerberostgtpassing',
  'rsaauthentication',
  'rhostsrsaauthentication',
  'compressionlevel',
];
const OTHER = `gssapiauthentication gssapidelegatecredentials pkcs11provider smartcarddevice forwardagent forwardx11
forwardx11trusted forwardx11timeout exitonforwardfailure xauthlocation gatewayports passwordauthentication
kbdinteractiveauthentication kbdinteractivedevices challengeresponseauthentication skeyauthentication tisauthentication
pubkeyauthentication dsaauthentication hostbasedauthentication addkeystoagent remoteforward localforward permitremoteopen
tag escapechar batchmode checkhostip compression tcpkeepalive keepalive numberofpasswordprompts syslogfacility loglevel
logverbose dynamicforward preferredauthentications casignaturealgorithms bindaddress bindinterface clearallforwardings
enablesshkeysign verifyhostkeydns nohostauthenticationforlocalhost rekeylimit addressfamily sendenv setenv controlpath
controlmaster controlpersist hashknownhosts tunnel tunneldevice localcommand permitlocalcommand remotecommand visualhostkey
ipqos requesttty sessiontype stdinnull forkafterauthentication proxyusefdpass canonicaldomains canonicalizefallbacklocal
canonicalizehostname canonicalizemaxdots canonicalizepermittedcnames streamlocalbindmask streamlocalbindunlink
revokedhostkeys fingerprinthash updatehostkeys hostbasedacceptedalgorithms hostbasedkeytypes securitykeyprovider
knownhostscommand requiredrsasize enableescapecommandline obscurekeystroketiming channeltimeout versionaddendum
refuseconnection warnweakcrypto`.split(/\s+/);

const KINDS = new Map<string, SshKeywordKind>([
  ...FLEET_KEYWORDS.map((name) => [name, 'fleet'] as const),
  ...Object.keys(ALIASES).map((name) => [name, 'fleet'] as const),
  ...STRUCTURE.map((name) => [name, 'structure'] as const),
  ...DEPRECATED.map((name) => [name, 'deprecated'] as const),
  ...UNSUPPORTED.map((name) => [name, 'unsupported'] as const),
  ...OTHER.map((name) => [name, 'other'] as const),
]);

/** How ssh treats a (lower-case) keyword; undefined for one ssh does not know. */
export function sshKeywordKind(keyword: string): SshKeywordKind | undefined {
  return KINDS.get(keyword);
}

/** The canonical name of a keyword fleet reads (`identityfile2` is `identityfile`). */
export function canonicalFleetKeyword(keyword: string): FleetKeyword {
  return ALIASES[keyword] ?? (keyword as FleetKeyword);
}
