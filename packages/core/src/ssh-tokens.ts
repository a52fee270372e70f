import { createHash } from 'node:crypto';

/** Values for ssh_config's `%` tokens; a token whose letter is absent is refused, as ssh refuses it. */
export type SshTokens = Partial<Record<string, string>>;

/** Why a value could not be expanded (the caller adds the file and line). */
export class TokenExpansionError extends Error {
  override name = 'TokenExpansionError';
}

/** OpenSSH's percent_expand: `%%` is `%`, `%X` the token's value; an unknown token or a lone `%` at the end is an error. */
export function expandPercent(value: string, tokens: SshTokens): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const char = value[i] as string;
    if (char !== '%') {
      out += char;
      continue;
    }
    const letter = value[++i];
    if (letter === undefined) throw new TokenExpansionError(`invalid format: "%" at the end of ${JSON.stringify(value)}`);
    if (letter === '%') {
      out += '%';
      continue;
    }
    const replacement = tokens[letter];
    if (replacement === undefined) throw new TokenExpansionError(`unknown key %${letter} in ${JSON.stringify(value)}`);
    out += replacement;
  }
  return out;
}

/** OpenSSH's dollar_expand: `${NAME}` becomes the variable's value; an unset variable or an unclosed brace is an error. */
export function expandDollar(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/\$\{([^}]*)(\}?)/g, (_whole, name: string, close: string) => {
    if (close === '' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new TokenExpansionError(`invalid environment variable reference in ${JSON.stringify(value)}`);
    }
    const found = env[name];
    if (found === undefined) throw new TokenExpansionError(`environment variable ${name} is not set (in ${JSON.stringify(value)})`);
    return found;
  });
}

/** `${NAME}` then `%X`, as ssh's percent_dollar_expand does. */
export function expandPercentDollar(value: string, tokens: SshTokens, env: Readonly<Record<string, string | undefined>>): string {
  return expandPercent(expandDollar(value, env), tokens);
}

/** `~` and `~/…` become the home directory (fleet's $HOME; `~user` is left as it is). */
export function expandTilde(path: string, homeDir: string): string {
  return path === '~' ? homeDir : path.startsWith('~/') ? `${homeDir}${path.slice(1)}` : path;
}

/** `%C`: SHA-1 over local host name, host, port, remote user and jump host, as ssh hashes them. */
export function connectionHash(localHost: string, host: string, port: string, user: string, jumpHost: string): string {
  return createHash('sha1').update(`${localHost}${host}${port}${user}${jumpHost}`).digest('hex');
}

/** What every token set is built from. */
export interface SshTokenValues {
  /** The local host name (gethostname), `%l`; `%L` is its first label. */
  localHost: string;
  homeDir: string;
  localUser: string;
  uid: number;
  /** The host as typed, `%n`. */
  originalHost: string;
  /** The host name after HostName, `%h`. */
  host: string;
  port: number;
  remoteUser: string;
  /** HostKeyAlias or the host, `%k`. */
  keyAlias: string;
  /** The last ProxyJump hop's host, `%j`; '' for none. */
  jumpHost: string;
}

/** The tokens most keywords take (%C %d %h %i %j %k %L %l %n %p %r %u). */
export function defaultTokens(values: SshTokenValues): SshTokens {
  const port = String(values.port);
  return {
    C: connectionHash(values.localHost, values.host, port, values.remoteUser, values.jumpHost),
    L: values.localHost.split('.')[0] ?? values.localHost,
    d: values.homeDir,
    h: values.host,
    i: String(values.uid),
    j: values.jumpHost,
    k: values.keyAlias,
    l: values.localHost,
    n: values.originalHost,
    p: port,
    r: values.remoteUser,
    u: values.localUser,
  };
}
