import { canonicalFleetKeyword, sshKeywordKind, type SshKeywordKind } from './ssh-config-keywords.js';
import { parseFleetValue, SshValueError, type SshConfigValue } from './ssh-config-values.js';

/** One line of an ssh_config file, as ssh splits it, with where it was written. */
export interface SshConfigDirective {
  file: string;
  /** 1-based. */
  line: number;
  /** Lower case, as written (an alias such as `identityfile2` stays as it is). */
  keyword: string;
  /** undefined for a keyword ssh does not know (refused unless IgnoreUnknown names it). */
  kind: SshKeywordKind | undefined;
  /** The words after the keyword, quotes removed, up to a `#` comment. */
  args: string[];
  /** The text after the keyword and its `=` or spaces, as written. */
  rest: string;
  /** For a keyword fleet reads: its value. */
  value?: SshConfigValue;
  /** What ssh says of this line whatever the host (no argument, bad quotes, bad value). */
  error?: string;
}

/**
 * OpenSSH's argv_split: words split on spaces and tabs, `"` and `'` quote,
 * a backslash escapes a quote, a backslash or (outside quotes) a space, and a
 * word starting with `#` ends the line. null for an unclosed quote.
 */
export function splitSshWords(text: string): string[] | null {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === ' ' || char === '\t') {
      i++;
      continue;
    }
    if (char === '#') break;
    let word = '';
    let quote = '';
    for (; i < text.length; i++) {
      const c = text[i] as string;
      const next = text[i + 1];
      if (c === '\\' && (next === "'" || next === '"' || next === '\\' || (quote === '' && next === ' '))) {
        word += next;
        i++;
      } else if (quote === '' && (c === ' ' || c === '\t')) break;
      else if (quote === '' && (c === '"' || c === "'")) quote = c;
      else if (quote !== '' && c === quote) quote = '';
      else word += c;
    }
    if (quote !== '') return null;
    words.push(word);
  }
  return words;
}

/**
 * Parses an ssh_config file into its directives. Pure and host-independent,
 * so it is done once per change of the file: faults ssh finds in a line
 * whatever the host are recorded on the line, and raised when a resolution
 * reads it (ssh checks every line it reads, in a block that applies or not).
 */
export function parseSshConfigFile(text: string, file: string): SshConfigDirective[] {
  const directives: SshConfigDirective[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const stripped = (lines[index] ?? '').replace(/[ \t\r\f]+$/, '');
    const found = /^[ \t]*([^ \t=]*)[ \t]*(?:=[ \t]*)?(.*)$/.exec(stripped);
    const written = found?.[1] ?? '';
    if (written === '' || written.startsWith('#')) continue;
    const keyword = written.toLowerCase();
    const rest = found?.[2] ?? '';
    const directive: SshConfigDirective = { file, line: index + 1, keyword, kind: sshKeywordKind(keyword), args: [], rest };
    directives.push(directive);
    if (rest === '') {
      directive.error = `no argument after keyword "${keyword}"`;
      continue;
    }
    const args = splitSshWords(rest);
    if (args === null) {
      directive.error = 'invalid quotes';
      continue;
    }
    directive.args = args;
    if (directive.kind === 'fleet') {
      try {
        directive.value = parseFleetValue(canonicalFleetKeyword(keyword), args, rest);
      } catch (problem) {
        if (!(problem instanceof SshValueError)) throw problem;
        directive.error = problem.message;
      }
    }
  }
  return directives;
}
