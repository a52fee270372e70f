import { jumpHopOrNull } from './jump-route.js';
import { OPENSSH_SUPPORTED_ALGORITHMS } from './openssh-algorithms.js';
import { badAlgorithmName } from './ssh-algorithm-list.js';
import type { FleetKeyword } from './ssh-config-keywords.js';
import type { StrictHostKeyChecking } from './ssh-options.js';

/**
 * The value of a keyword fleet reads, checked as ssh checks it whatever the
 * host. `unset` is a value ssh parses but that sets nothing (`ConnectTimeout
 * none`), so a later line may still set the keyword.
 */
export type SshConfigValue =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'flag'; value: boolean }
  | { kind: 'strict'; value: StrictHostKeyChecking }
  | { kind: 'list'; value: string[] }
  | { kind: 'unset' };

/** A value ssh would refuse; the caller adds the file and line. */
export class SshValueError extends Error {
  override name = 'SshValueError';
}

const ALGORITHM_KEYWORDS = {
  ciphers: ['ciphers', 'cipher spec', false],
  kexalgorithms: ['kexAlgorithms', 'KexAlgorithms', false],
  hostkeyalgorithms: ['hostKeyAlgorithms', 'key types', true],
  pubkeyacceptedalgorithms: ['pubkeyAcceptedAlgorithms', 'key types', true],
  macs: ['macs', 'MAC spec', false],
} as const;

/** OpenSSH's convtime: `90`, `1m30s`, `2h`; null when malformed. */
export function parseSshTime(text: string): number | null {
  const units: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  if (!/^(\d+(\.\d*)?[sSmMhHdDwW]?)+$/.test(text)) return null;
  let total = 0;
  let seconds = 0;
  for (const part of text.matchAll(/(\d+(?:\.\d*)?)([sSmMhHdDwW]?)/g)) {
    const unit = (part[2] ?? '').toLowerCase();
    if (unit === '' || unit === 's') seconds++;
    total += Number(part[1]) * (units[unit] ?? 1);
  }
  return seconds > 1 || total > 2 ** 31 - 1 ? null : Math.floor(total);
}

/** A port as ssh's a2port takes it: 1 to 65535. */
export function parseSshPort(text: string): number | null {
  if (!/^\d+$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

/**
 * Parses and checks the value of a keyword fleet reads. `args` are the
 * line's words after the keyword, `rest` the raw text (ProxyCommand and
 * ProxyJump take it whole). Throws SshValueError with ssh's complaint.
 */
export function parseFleetValue(keyword: FleetKeyword, args: readonly string[], rest: string): SshConfigValue {
  const single = (): string => {
    const [first = ''] = args;
    if (first === '') throw new SshValueError('missing argument');
    if (args.length > 1) throw new SshValueError(`keyword ${keyword} extra arguments at end of line`);
    return first;
  };
  switch (keyword) {
    case 'hostname':
    case 'user':
    case 'hostkeyalias':
    case 'identityfile':
    case 'certificatefile':
      return { kind: 'string', value: single() };
    case 'identityagent': {
      const value = single();
      if (/\$\{(?![A-Za-z_][A-Za-z0-9_]*\})/.test(value)) throw new SshValueError(`invalid environment expansion ${value}`);
      if (value.startsWith('$') && !value.startsWith('${') && !/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
        throw new SshValueError(`invalid environment name ${value}`);
      }
      return { kind: 'string', value };
    }
    case 'port': {
      const port = parseSshPort(single());
      if (port === null) throw new SshValueError(`bad port '${args[0]}'`);
      return { kind: 'number', value: port };
    }
    case 'identitiesonly': {
      const value = single().toLowerCase();
      if (!['yes', 'no', 'true', 'false'].includes(value)) throw new SshValueError(`unsupported option "${args[0]}"`);
      return { kind: 'flag', value: value === 'yes' || value === 'true' };
    }
    case 'stricthostkeychecking': {
      const value = single().toLowerCase();
      const strict: Record<string, StrictHostKeyChecking> = {
        yes: 'yes',
        true: 'yes',
        no: 'no',
        false: 'no',
        off: 'no',
        ask: 'ask',
        'accept-new': 'accept-new',
      };
      const found = strict[value];
      if (found === undefined) throw new SshValueError(`unsupported option "${args[0]}"`);
      return { kind: 'strict', value: found };
    }
    case 'connecttimeout':
    case 'serveraliveinterval': {
      const text = single();
      if (text === 'none') return { kind: 'unset' };
      const seconds = parseSshTime(text);
      if (seconds === null) throw new SshValueError('invalid time value');
      return { kind: 'number', value: seconds };
    }
    case 'connectionattempts':
    case 'serveralivecountmax': {
      const text = single();
      if (!/^\+?\d+$/.test(text) || Number(text) > 2 ** 31 - 1)
        throw new SshValueError(`integer value ${/^-/.test(text) ? 'too small' : 'invalid'}`);
      return { kind: 'number', value: Number(text) };
    }
    case 'userknownhostsfile':
    case 'globalknownhostsfile': {
      if (args.some((arg) => arg === '')) throw new SshValueError(`keyword ${keyword} empty argument`);
      if (args.length > 1 && args.some((arg) => arg.toLowerCase() === 'none'))
        throw new SshValueError(`keyword ${keyword} "none" argument must appear alone.`);
      return { kind: 'list', value: [...args] };
    }
    case 'proxycommand':
      return { kind: 'string', value: rest };
    case 'proxyjump': {
      const text = rest.replace(/#.*$/, '').trimEnd();
      if (text.toLowerCase() === 'none') return { kind: 'string', value: 'none' };
      if (!text.split(',').every((hop) => jumpHopOrNull(hop) !== null)) throw new SshValueError(`Invalid ProxyJump "${rest}"`);
      return { kind: 'string', value: text };
    }
    default: {
      const [field, label, patterns] = ALGORITHM_KEYWORDS[keyword];
      const spec = single();
      const bad = badAlgorithmName(spec, OPENSSH_SUPPORTED_ALGORITHMS[field], patterns);
      if (bad !== null) throw new SshValueError(`Bad SSH2 ${label} '${spec}' (${JSON.stringify(bad)} is not one OpenSSH knows).`);
      return { kind: 'string', value: spec };
    }
  }
}
