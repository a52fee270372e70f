import { jumpHopOrNull } from './jump-route.js';
import type { SshOptions } from './ssh-options.js';

/** Values `ssh -G` prints as written rather than expanded (ssh expands them later, when it connects). */
export interface SshConfigAsWritten {
  identityFiles: string[];
  certificateFiles: string[];
  globalKnownHostsFiles: string[];
  /** IdentityAgent after `~`, `${VAR}` and `%` expansion; null when unset. */
  identityAgent: string | null;
  proxyCommand: string | null;
  /** ProxyJump as written (comment removed); null for none. */
  proxyJump: string | null;
}

const STRICT: Record<SshOptions['strictHostKeyChecking'], string> = { yes: 'true', no: 'false', ask: 'ask', 'accept-new': 'accept-new' };

/**
 * The lines `ssh -G` prints for the keywords fleet acts on, in its order and
 * with its spellings (`stricthostkeychecking false`, `connecttimeout none`,
 * one `identityfile` line per file), so the two can be compared line by line.
 */
export function sshGLines(options: SshOptions, written: SshConfigAsWritten): [string, string][] {
  const lines: [string, string][] = [
    ['host', options.host],
    ['user', options.user],
    ['hostname', options.hostName],
    ['port', String(options.port)],
    ['identitiesonly', options.identitiesOnly ? 'yes' : 'no'],
    ['stricthostkeychecking', STRICT[options.strictHostKeyChecking]],
    ['connectionattempts', String(options.connectionAttempts)],
    ['serveralivecountmax', String(options.serverAliveCountMax)],
    ['serveraliveinterval', String(options.serverAliveIntervalMs / 1000)],
    ['ciphers', options.algorithms.ciphers.join(',')],
    ['hostkeyalgorithms', options.algorithms.hostKeyAlgorithms.join(',')],
  ];
  if (options.hostKeyAlias !== null) lines.push(['hostkeyalias', options.hostKeyAlias]);
  if (written.identityAgent !== null) lines.push(['identityagent', written.identityAgent]);
  lines.push(
    ['kexalgorithms', options.algorithms.kexAlgorithms.join(',')],
    ['macs', options.algorithms.macs.join(',')],
    ['pubkeyacceptedalgorithms', options.algorithms.pubkeyAcceptedAlgorithms.join(',')],
  );
  for (const file of written.identityFiles) lines.push(['identityfile', file]);
  for (const file of written.certificateFiles) lines.push(['certificatefile', file]);
  // An empty list is `none` (the defaults fill a list that was not set).
  lines.push(['globalknownhostsfile', written.globalKnownHostsFiles.join(' ') || 'none']);
  lines.push(['userknownhostsfile', options.userKnownHostsFiles.join(' ') || 'none']);
  lines.push(['connecttimeout', options.connectTimeoutMs === null ? 'none' : String(options.connectTimeoutMs / 1000)]);
  if (written.proxyJump !== null) lines.push(['proxyjump', jumpAsSshPrintsIt(written.proxyJump)]);
  else if (written.proxyCommand !== null) lines.push(['proxycommand', written.proxyCommand]);
  return lines;
}

/** ssh keeps the hops before the last as written and prints the last one as `user@host:port`, bracketing an address. */
function jumpAsSshPrintsIt(spec: string): string {
  const cut = spec.lastIndexOf(',');
  const last = jumpHopOrNull(spec.slice(cut + 1));
  if (last === null) return spec;
  const numeric = last.host.includes(':') || /^[0-9.]*$/.test(last.host);
  const host = numeric ? `[${last.host}]` : last.host;
  return `${cut >= 0 ? `${spec.slice(0, cut)},` : ''}${last.user === null ? '' : `${last.user}@`}${host}${last.port === null ? '' : `:${last.port}`}`;
}

/** The lines as `ssh -G` prints them: `keyword value`, one a line. */
export function formatSshGLines(lines: readonly [string, string][]): string {
  return lines.map(([keyword, value]) => `${keyword} ${value}\n`).join('');
}
