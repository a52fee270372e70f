import { SshConfigError } from './errors.js';
import { OPENSSH_DEFAULT_ALGORITHMS, OPENSSH_SUPPORTED_ALGORITHMS } from './openssh-algorithms.js';
import { assembleAlgorithms } from './ssh-algorithm-list.js';
import { sshGLines, type SshConfigAsWritten } from './ssh-config-dump.js';
import type { SshConfigDirective } from './ssh-config-file.js';
import { canonicalFleetKeyword, type FleetKeyword } from './ssh-config-keywords.js';
import { matchExpression, type MatchContext } from './ssh-config-match.js';
import { jumpHopOrNull } from './jump-route.js';
import type { SshConfigValue } from './ssh-config-values.js';
import type { SshAlgorithms, SshOptions, StrictHostKeyChecking } from './ssh-options.js';
import { hostBlockMatches, matchPatternList } from './ssh-patterns.js';
import { defaultTokens, expandPercent, expandPercentDollar, expandTilde, TokenExpansionError, type SshTokens } from './ssh-tokens.js';

/** The I/O a resolution needs, injected so that resolving stays pure. */
export interface SshConfigIo {
  /** The file parsed (parseSshConfigFile), or null when it does not exist. */
  read(path: string): Promise<readonly SshConfigDirective[] | null>;
  /** The paths a glob matches, sorted as glob(3) sorts them; `~` already expanded. */
  glob(pattern: string): Promise<string[]>;
  /** Runs `Match exec`'s command as ssh does (`/bin/sh -c`); true when it exits 0. */
  exec(command: string): Promise<boolean>;
}

/** Who and where fleet runs: ssh's passwd entry and host name. */
export interface SshLocalContext {
  localUser: string;
  uid: number;
  /** fleet's $HOME (ssh takes the passwd home: see README). */
  homeDir: string;
  /** gethostname(), for %l, %L and %C. */
  localHost: string;
  /** For IdentityAgent's SSH_AUTH_SOCK and `$VAR`, and `${VAR}` in paths. */
  env: Readonly<Record<string, string | undefined>>;
}

/** Which files are read, as ssh chooses them. */
export interface SshConfigFiles {
  /** FLEET_SSH_CONFIG (ssh's -F) or ~/.ssh/config. */
  userFile: string;
  /** The file was named (as with -F): it must exist, and the system file is not read. */
  named: boolean;
  /** /etc/ssh/ssh_config, read after the user's file. */
  systemFile: string;
}

/** A host entry's parts: host, and user@ and :port from the entry, which win over the file as on ssh's command line. */
export interface SshConfigQuery {
  host: string;
  user: string | null;
  port: number | null;
}

/** A line fleet did not apply and says so (a Match criterion it does not evaluate). */
export interface SshConfigWarning {
  file: string;
  line: number;
  message: string;
}

export interface ResolvedSshConfig {
  options: SshOptions;
  /** What `ssh -G` prints for the keywords fleet acts on, in its order and spellings. */
  sshG: [string, string][];
  /**
   * Faults ssh finds only when it connects (a bad token in IdentityFile,
   * CertificateFile or ProxyCommand, which it expands then): `ssh -G` prints
   * the configuration all the same, and so does `fleet ssh-config`; a
   * connection must not be made. The value stays as written in `options`.
   */
  connectErrors: SshConfigError[];
}

const DEFAULT_IDENTITY_FILES = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'].map(
  (name) => `~/.ssh/${name}`,
);
const MAX_INCLUDE_DEPTH = 16;
const MAX_FILES = 100;
const SYSTEM_DIR = '/etc/ssh';

interface Setting<T> {
  value: T;
  /** null for the command line (user@, :port). */
  from: SshConfigDirective | null;
  /** Read from the user's file (or one it includes): ssh de-duplicates identity files within each side only. */
  userConfig?: boolean;
}

/** The options read so far: the first value obtained for each keyword wins, as in ssh. */
class Settings {
  readonly first = new Map<FleetKeyword, Setting<SshConfigValue>>();
  readonly identityFiles: Setting<string>[] = [];
  readonly certificateFiles: Setting<string>[] = [];
  ignoreUnknown: string | undefined;
  /** ProxyJump's spec ('none' included) and ProxyCommand, which block each other as ssh's jump_host and proxy_command do. */
  jump: Setting<string> | undefined;
  proxyCommand: Setting<string> | undefined;

  string(keyword: FleetKeyword): string | undefined {
    const found = this.first.get(keyword)?.value;
    return found?.kind === 'string' ? found.value : undefined;
  }

  number(keyword: FleetKeyword): number | undefined {
    const found = this.first.get(keyword)?.value;
    return found?.kind === 'number' ? found.value : undefined;
  }

  /** ProxyJump's last hop's host, `%j`; '' for none. */
  jumpHost(): string {
    const spec = this.jump?.value;
    if (spec === undefined || spec.toLowerCase() === 'none') return '';
    return jumpHopOrNull(spec.slice(spec.lastIndexOf(',') + 1))?.host ?? '';
  }

  apply(directive: SshConfigDirective, userConfig: boolean): void {
    const keyword = canonicalFleetKeyword(directive.keyword);
    const value = directive.value;
    if (value === undefined) return;
    if (keyword === 'identityfile' || keyword === 'certificatefile') {
      const list = keyword === 'identityfile' ? this.identityFiles : this.certificateFiles;
      const path = value.kind === 'string' ? value.value : '';
      if (list.some((setting) => setting.value === path && setting.userConfig === userConfig)) return;
      if (list.length >= MAX_FILES)
        throw lineError(
          directive,
          `Too many ${keyword === 'identityfile' ? 'identity' : 'certificate'} files specified (max ${MAX_FILES}).`,
        );
      list.push({ value: path, from: directive, userConfig });
    } else if (keyword === 'proxyjump' && value.kind === 'string') {
      if (value.value === 'none') this.jump ??= { value: 'none', from: directive };
      else if (this.jump === undefined && this.proxyCommand === undefined) {
        this.jump = { value: value.value, from: directive };
        this.proxyCommand = { value: 'none', from: directive };
      }
    } else if (keyword === 'proxycommand' && value.kind === 'string') {
      this.proxyCommand ??= { value: value.value, from: directive };
    } else if (value.kind !== 'unset' && !this.first.has(keyword)) {
      this.first.set(keyword, { value, from: directive });
    }
  }
}

function lineError(directive: SshConfigDirective, problem: string): SshConfigError {
  return new SshConfigError(directive.file, directive.line, problem);
}

/** Expands with the error naming the line the value came from. */
function expandAt(from: SshConfigDirective | null, expand: () => string): string {
  try {
    return expand();
  } catch (error) {
    if (error instanceof TokenExpansionError && from !== null) throw lineError(from, error.message);
    throw error;
  }
}

/** One pass over the files, as ssh's process_config_files. */
class ConfigPass {
  wantFinal = false;

  constructor(
    private readonly settings: Settings,
    private readonly query: SshConfigQuery,
    private readonly files: SshConfigFiles,
    private readonly io: SshConfigIo,
    private readonly local: SshLocalContext,
    private readonly warn: (warning: SshConfigWarning) => void,
    /** The host `Host` lines are matched against: the host as typed, or in the final pass the host name. */
    private readonly blockHost: string,
    private readonly final: boolean,
  ) {}

  async run(): Promise<void> {
    const top = this.files.named ? [this.files.userFile] : [this.files.userFile, this.files.systemFile];
    for (const [index, file] of top.entries()) {
      const directives = await this.io.read(file);
      if (directives === null) {
        if (this.files.named) throw new SshConfigError(file, 0, `Can't open user config file ${file}: No such file or directory`);
        continue;
      }
      await this.readFile(directives, { active: true }, { userConfig: index === 0, neverMatch: false, stack: [file] });
    }
  }

  private async readFile(
    directives: readonly SshConfigDirective[],
    state: { active: boolean },
    scope: { userConfig: boolean; neverMatch: boolean; stack: string[] },
  ): Promise<void> {
    for (const directive of directives) {
      if (directive.error !== undefined) throw lineError(directive, directive.error);
      switch (directive.kind) {
        case undefined:
          if (this.settings.ignoreUnknown !== undefined && matchPatternList(directive.keyword, this.settings.ignoreUnknown, true) === 1)
            break;
          throw lineError(directive, `Bad configuration option: ${directive.keyword}`);
        case 'fleet':
          if (state.active) this.settings.apply(directive, scope.userConfig);
          break;
        case 'structure':
          // Host lines are most of a large config: decided without a promise.
          if (directive.keyword === 'host') state.active = this.hostLine(directive, scope.neverMatch);
          else await this.structure(directive, state, scope);
          break;
        default:
          break;
      }
    }
  }

  private hostLine(directive: SshConfigDirective, neverMatch: boolean): boolean {
    if (directive.args.some((arg) => arg === '')) throw lineError(directive, 'keyword host empty argument');
    return !neverMatch && hostBlockMatches(directive.args, this.blockHost);
  }

  private async structure(
    directive: SshConfigDirective,
    state: { active: boolean },
    scope: { userConfig: boolean; neverMatch: boolean; stack: string[] },
  ): Promise<void> {
    const { args } = directive;
    if (directive.keyword !== 'match' && args.some((arg) => arg === ''))
      throw lineError(directive, `keyword ${directive.keyword} empty argument`);
    switch (directive.keyword) {
      case 'match': {
        const matched = await matchExpression(directive, this.matchContext());
        state.active = !scope.neverMatch && matched;
        return;
      }
      case 'ignoreunknown':
        if (args.length > 1) throw lineError(directive, 'keyword ignoreunknown extra arguments at end of line');
        if (state.active) this.settings.ignoreUnknown ??= args[0];
        return;
      default:
        await this.include(directive, state, scope);
    }
  }

  private async include(
    directive: SshConfigDirective,
    state: { active: boolean },
    scope: { userConfig: boolean; neverMatch: boolean; stack: string[] },
  ): Promise<void> {
    for (const arg of directive.args) {
      const path = expandAt(directive, () => expandPercentDollar(arg, this.matchTokens(), this.local.env));
      if (path.startsWith('~') && !scope.userConfig) throw lineError(directive, `bad include path ${path}.`);
      const anchored = path.startsWith('/') || path.startsWith('~') ? path : `${scope.userConfig ? '~/.ssh' : SYSTEM_DIR}/${path}`;
      const outer = state.active;
      for (const file of await this.io.glob(expandTilde(anchored, this.local.homeDir))) {
        if (scope.stack.includes(file)) {
          throw lineError(directive, `Include ${file} makes a cycle (${[...scope.stack, file].join(' includes ')})`);
        }
        if (scope.stack.length > MAX_INCLUDE_DEPTH)
          throw lineError(directive, `Too many recursive configuration includes (more than ${MAX_INCLUDE_DEPTH})`);
        const included = await this.io.read(file);
        if (included === null) continue;
        await this.readFile(included, state, {
          userConfig: scope.userConfig,
          neverMatch: scope.neverMatch || !outer,
          stack: [...scope.stack, file],
        });
        // A Match in an included file does not change the including file's state.
        state.active = outer;
      }
    }
  }

  /** The host as ssh sees it while reading: HostName so far with %h, or in the final pass the host name. */
  private currentHost(): string {
    const hostName = this.settings.string('hostname');
    if (this.final || hostName === undefined) return hostName ?? this.query.host;
    return expandAt(this.settings.first.get('hostname')?.from ?? null, () => expandPercent(hostName, { h: this.query.host }));
  }

  private matchTokens(): SshTokens {
    const host = this.currentHost();
    return defaultTokens({
      ...this.local,
      originalHost: this.query.host,
      host,
      port: this.settings.number('port') ?? 22,
      remoteUser: this.settings.string('user') ?? this.local.localUser,
      keyAlias: this.settings.string('hostkeyalias') ?? host,
      jumpHost: this.settings.jumpHost(),
    });
  }

  private matchContext(): MatchContext {
    return {
      host: this.currentHost(),
      originalHost: this.query.host,
      remoteUser: this.settings.string('user') ?? this.local.localUser,
      localUser: this.local.localUser,
      final: this.final,
      tokens: () => this.matchTokens(),
      exec: (command) => this.io.exec(command),
      requestFinal: () => {
        this.wantFinal = true;
      },
      warn: this.warn,
    };
  }
}

function isAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

/**
 * Resolves one host entry as `ssh -G` does, without canonicalisation: the
 * user's file then the system's (or only a named file), Include and Match
 * followed, the first value of each keyword winning, a final pass when a
 * `Match final` asks for one, then OpenSSH's defaults, `~` and `%` tokens.
 * Throws SshConfigError for a configuration ssh would refuse.
 */
export async function resolveSshConfig(
  query: SshConfigQuery,
  files: SshConfigFiles,
  io: SshConfigIo,
  local: SshLocalContext,
  warn: (warning: SshConfigWarning) => void = () => {},
): Promise<ResolvedSshConfig> {
  const settings = new Settings();
  if (query.user !== null) settings.first.set('user', { value: { kind: 'string', value: query.user }, from: null });
  if (query.port !== null) settings.first.set('port', { value: { kind: 'number', value: query.port }, from: null });
  const pass = new ConfigPass(settings, query, files, io, local, warn, query.host, false);
  await pass.run();
  const written = settings.first.get('hostname');
  let host =
    written?.value.kind === 'string'
      ? expandAt(written.from, () => expandPercent(written.value.kind === 'string' ? written.value.value : '', { h: query.host }))
      : query.host;
  if (!isAddress(host)) host = host.toLowerCase();
  if (pass.wantFinal) {
    settings.first.set('hostname', { value: { kind: 'string', value: host }, from: written?.from ?? null });
    await new ConfigPass(settings, query, files, io, local, warn, host, true).run();
  }
  return finish(settings, query, host, local);
}

function finish(settings: Settings, query: SshConfigQuery, host: string, local: SshLocalContext): ResolvedSshConfig {
  const user = settings.string('user') ?? local.localUser;
  const port = settings.number('port') ?? 22;
  const hostKeyAlias = settings.string('hostkeyalias') ?? null;
  const jumpSpec = settings.jump !== undefined && settings.jump.value.toLowerCase() !== 'none' ? settings.jump : undefined;
  const tokens = defaultTokens({
    ...local,
    originalHost: query.host,
    host,
    port,
    remoteUser: user,
    keyAlias: hostKeyAlias ?? query.host,
    jumpHost: settings.jumpHost(),
  });
  const expandPath = (setting: Setting<string>) =>
    expandAt(setting.from, () => expandPercentDollar(expandTilde(setting.value, local.homeDir), tokens, local.env));
  const connectErrors: SshConfigError[] = [];
  const expandWhenConnecting = (setting: Setting<string>, expand: (setting: Setting<string>) => string): string => {
    try {
      return expand(setting);
    } catch (error) {
      if (!(error instanceof SshConfigError)) throw error;
      connectErrors.push(error);
      return setting.value;
    }
  };
  const identitySettings =
    settings.identityFiles.length > 0 ? settings.identityFiles : DEFAULT_IDENTITY_FILES.map((value) => ({ value, from: null }));
  const list = (keyword: FleetKeyword, fallback: string[]): Setting<string[]> => {
    const found = settings.first.get(keyword);
    const value = found?.value.kind === 'list' ? found.value.value : fallback;
    return { value: value[0]?.toLowerCase() === 'none' ? [] : value, from: found?.from ?? null };
  };
  const userKnown = list('userknownhostsfile', ['~/.ssh/known_hosts', '~/.ssh/known_hosts2']);
  const globalKnown = list('globalknownhostsfile', ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']);
  const agentSetting = settings.first.get('identityagent');
  const agentWritten =
    agentSetting?.value.kind === 'string' ? expandPath({ value: agentSetting.value.value, from: agentSetting.from }) : null;
  const proxyCommand =
    jumpSpec === undefined && settings.proxyCommand !== undefined && settings.proxyCommand.value.toLowerCase() !== 'none'
      ? settings.proxyCommand
      : undefined;
  const strict = settings.first.get('stricthostkeychecking')?.value;
  const flag = settings.first.get('identitiesonly')?.value;
  const attempts = settings.first.get('connectionattempts');
  if (attempts?.value.kind === 'number' && attempts.value.value <= 0 && attempts.from !== null) {
    throw lineError(attempts.from, 'Invalid number of ConnectionAttempts');
  }
  const options: SshOptions = {
    host: query.host,
    hostName: host,
    user,
    port,
    identityFiles: identitySettings.map((setting) => expandWhenConnecting(setting, expandPath)),
    identitiesOnly: flag?.kind === 'flag' ? flag.value : false,
    identityAgent: agentSocket(agentWritten, local.env),
    certificateFiles: settings.certificateFiles.map((setting) => expandWhenConnecting(setting, expandPath)),
    userKnownHostsFiles: userKnown.value.map((value) => expandPath({ value, from: userKnown.from })),
    globalKnownHostsFiles: globalKnown.value.map((value) => expandTilde(value, local.homeDir)),
    strictHostKeyChecking: strict?.kind === 'strict' ? (strict.value satisfies StrictHostKeyChecking) : 'ask',
    hostKeyAlias,
    connectTimeoutMs: multiply(settings.number('connecttimeout'), 1000),
    connectionAttempts: settings.number('connectionattempts') ?? 1,
    serverAliveIntervalMs: (settings.number('serveraliveinterval') ?? 0) * 1000,
    serverAliveCountMax: settings.number('serveralivecountmax') ?? 3,
    proxyJump: jumpSpec === undefined ? [] : jumpSpec.value.split(','),
    proxyCommand:
      proxyCommand === undefined
        ? null
        : expandWhenConnecting(proxyCommand, (setting) =>
            expandAt(setting.from, () => expandPercent(setting.value, { h: host, n: query.host, p: String(port), r: user })),
          ),
    algorithms: algorithms(settings),
  };
  const asWritten: SshConfigAsWritten = {
    identityFiles: identitySettings.map((setting) => setting.value),
    certificateFiles: settings.certificateFiles.map((setting) => setting.value),
    globalKnownHostsFiles: globalKnown.value,
    identityAgent: agentWritten,
    proxyCommand: proxyCommand?.value ?? null,
    proxyJump: jumpSpec?.value ?? null,
  };
  return { options, sshG: sshGLines(options, asWritten), connectErrors };
}

function multiply(value: number | undefined, factor: number): number | null {
  return value === undefined ? null : value * factor;
}

/** IdentityAgent as ssh uses it: `none` is no agent, `SSH_AUTH_SOCK` and `$NAME` name a variable, anything else is the socket. */
function agentSocket(written: string | null, env: SshLocalContext['env']): string | null {
  if (written === null || written === 'SSH_AUTH_SOCK') return env.SSH_AUTH_SOCK || null;
  if (written.toLowerCase() === 'none') return null;
  if (written.startsWith('$')) return env[written.slice(1)] || null;
  return written;
}

function algorithms(settings: Settings): SshAlgorithms {
  const keywords: [keyof SshAlgorithms, FleetKeyword][] = [
    ['ciphers', 'ciphers'],
    ['kexAlgorithms', 'kexalgorithms'],
    ['hostKeyAlgorithms', 'hostkeyalgorithms'],
    ['pubkeyAcceptedAlgorithms', 'pubkeyacceptedalgorithms'],
    ['macs', 'macs'],
  ];
  const result = {} as SshAlgorithms;
  for (const [field, keyword] of keywords) {
    const spec = settings.string(keyword);
    result[field] = assembleAlgorithms(spec, OPENSSH_DEFAULT_ALGORITHMS[field], OPENSSH_SUPPORTED_ALGORITHMS[field]);
    const from = settings.first.get(keyword)?.from;
    // ssh refuses a plain, + or ^ list that names nothing it supports; a - list may empty the defaults (ssh -G prints it empty).
    if (result[field].length === 0 && from && !spec?.startsWith('-'))
      throw lineError(from, `${keyword} ${spec ?? ''} names no algorithm OpenSSH supports`);
  }
  return result;
}
