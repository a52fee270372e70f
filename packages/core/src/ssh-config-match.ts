import { SshConfigError } from './errors.js';
import type { SshConfigDirective } from './ssh-config-file.js';
import { matchHostname, matchPatternList } from './ssh-patterns.js';
import { expandPercent, TokenExpansionError, type SshTokens } from './ssh-tokens.js';

/** What a `Match` line is evaluated against, at the point of the file where it stands. */
export interface MatchContext {
  /** HostName so far (with %h), or in the final pass the host name. */
  host: string;
  originalHost: string;
  /** User so far, or the local user. */
  remoteUser: string;
  localUser: string;
  final: boolean;
  /** `exec`'s tokens, as ssh expands them there. */
  tokens: () => SshTokens;
  exec: (command: string) => Promise<boolean>;
  /** A `Match final` (not negated) asks for a final pass. */
  requestFinal: () => void;
  warn: (warning: { file: string; line: number; message: string }) => void;
}

/** Criteria ssh knows that fleet does not evaluate: such a block is skipped (never applied to every host) and a warning names the line. */
const NOT_EVALUATED = new Set(['localnetwork', 'version', 'tagged', 'command', 'sessiontype']);
const WITH_EQUALS = /^(host|originalhost|user|localuser|localnetwork|version|tagged|command|exec)=/i;

/**
 * Evaluates a `Match` line as ssh's match_cfg_line does with
 * canonicalisation off: every criterion must hold, `!` negates one, `all`
 * stands alone, `canonical` and `final` hold in the final pass only, and
 * `exec` runs only while the criteria before it held.
 */
export async function matchExpression(directive: SshConfigDirective, context: MatchContext): Promise<boolean> {
  const fail = (problem: string) => new SshConfigError(directive.file, directive.line, `${problem} (Bad Match condition)`);
  const args = directive.args;
  let result = true;
  let attributes = 0;
  for (let i = 0; i < args.length; i++) {
    const written = args[i] as string;
    const negate = written.startsWith('!');
    let attribute = negate ? written.slice(1) : written;
    let name = attribute.toLowerCase();
    if (name === 'all') {
      const next = args[i + 1];
      if (attributes > 1 || (next !== undefined && next !== '')) throw fail(`'${written}' cannot be combined with other Match attributes`);
      return result && !negate;
    }
    attributes++;
    if (name === 'canonical' || name === 'final') {
      if (name === 'final' && !negate) context.requestFinal();
      if (context.final === negate) result = false;
      continue;
    }
    let arg: string | undefined;
    if (WITH_EQUALS.test(attribute)) {
      const cut = attribute.indexOf('=');
      arg = attribute.slice(cut + 1);
      attribute = attribute.slice(0, cut);
      name = attribute.toLowerCase();
    } else {
      arg = args[++i];
      if (arg === undefined) throw fail(`missing argument for Match '${written}'`);
    }
    if ((arg === '' && name !== 'tagged' && name !== 'command') || arg.startsWith('#'))
      throw fail(`Missing Match criteria for ${attribute}`);
    let matched: boolean;
    if (name === 'host') matched = matchHostname(context.host, arg);
    else if (name === 'originalhost') matched = matchHostname(context.originalHost, arg);
    else if (name === 'user') matched = matchPatternList(context.remoteUser, arg) === 1;
    else if (name === 'localuser') matched = matchPatternList(context.localUser, arg) === 1;
    else if (name === 'exec') {
      let command: string;
      try {
        command = expandPercent(arg, context.tokens());
      } catch (error) {
        if (error instanceof TokenExpansionError)
          throw new SshConfigError(directive.file, directive.line, `failed to expand match exec: ${error.message}`);
        throw error;
      }
      if (!result) continue;
      matched = await context.exec(command);
    } else if (NOT_EVALUATED.has(name)) {
      context.warn({
        file: directive.file,
        line: directive.line,
        message: `Match ${written} is a criterion fleet does not evaluate: this block is not applied`,
      });
      result = false;
      continue;
    } else throw fail(`Unsupported Match attribute ${attribute}`);
    if (matched === negate) result = false;
  }
  if (attributes === 0) throw fail('One or more attributes required for Match');
  return result;
}
