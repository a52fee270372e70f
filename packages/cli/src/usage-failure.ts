import { quoteShellWord, UsageError } from '@fleet/core';
import { didYouMean } from './did-you-mean.js';
import { habitAdvice } from './pssh-clush-habits.js';

/** What {@link explainUsageFailure} needs to know of fleet's command line. */
export interface CommandLineShape {
  /** Every command name and alias, to the command's name (`invoke-command` → `invoke`). */
  commands: ReadonlyMap<string, string>;
  /** The commands whose command line to run comes after `--` (`invoke`, `start`). */
  runCommands: ReadonlySet<string>;
  /** The options of the command in hand (of fleet itself before a command): names and aliases, without dashes. */
  options: readonly string[];
  /** Those of them that take no value (`--json`, `--as-job`). */
  booleans: ReadonlySet<string>;
}

/**
 * Turns what yargs says of a command line it refuses (`Unknown arguments: i,
 * true`) into what the user should do: the command to run goes after `--`; an
 * unknown command or option, with the nearest real one; a pssh or clush flag,
 * with fleet's own. Words after `--` belong to the command to run and are never
 * reported. The hint names the command's own `--help`.
 */
export function explainUsageFailure(message: string, args: readonly string[], shape: CommandLineShape): UsageError {
  const dashes = args.indexOf('--');
  const written = tokens(dashes === -1 ? args : args.slice(0, dashes), shape.booleans);
  const typed = written.find((token) => token.kind === 'word');
  const command = typed === undefined ? undefined : shape.commands.get(typed.text);
  if (typed !== undefined && command === undefined) {
    const guess = didYouMean(typed.text, [...shape.commands.keys()]);
    return new UsageError(`unknown command ${JSON.stringify(typed.text)}${guess === undefined ? '' : `; did you mean ${guess}?`}`, {
      hint: 'fleet --help lists the commands',
    });
  }
  const hint = `${command === undefined ? 'fleet' : `fleet ${command}`} --help shows the usage`;
  // `receive`, `wait` and `stop` take <job..>.
  if (/^Not enough non-option arguments/.test(message)) return new UsageError('name a job: its id or its name', { hint });
  const valueless = /^Not enough arguments following: (.+)$/.exec(message)?.[1];
  if (valueless !== undefined) {
    const flag = valueless.length === 1 ? `-${valueless}` : `--${valueless}`;
    const habit = habitAdvice(command, flag);
    return new UsageError(`${flag} needs a value${habit === undefined ? '' : `; as pssh's flag, ${habit}`}`, { hint });
  }
  const unknown = /^Unknown arguments?: (.*)$/s.exec(message);
  if (unknown === null) return new UsageError(message, { hint });

  const found = (unknown[1] ?? '')
    .split(', ')
    .flatMap((key) => {
      const token = written.find((each) => each !== typed && each.kind !== 'value' && each.keys.includes(key));
      return token === undefined ? [] : [{ key, token }];
    })
    .sort((a, b) => a.token.index - b.token.index);
  const stray = found.find(({ token }) => token.kind === 'word')?.token;
  const clauses: string[] = [];
  for (const { key, token } of found) {
    if (stray !== undefined && token.index > stray.index) break; // part of the command the user meant to run
    clauses.push(token.kind === 'word' ? strayWordClause(token, args, command, shape) : unknownOptionClause(key, command, shape.options));
  }
  return new UsageError(clauses.length === 0 ? message : clauses.join('; '), { hint });
}

/** A word of the command line before `--`, as yargs would take it. */
interface Token {
  kind: 'option' | 'value' | 'word';
  /** As written: `--throtle`, `-ib`, `uptime`. */
  text: string;
  /** What yargs calls it: the option's keys (`throtle`; `i` and `b` for `-ib`), or the word itself. */
  keys: readonly string[];
  index: number;
}

/** Options, the values they take (any option not known to take none does, as yargs reads it), and the other words. */
function tokens(before: readonly string[], booleans: ReadonlySet<string>): Token[] {
  const result: Token[] = [];
  for (let index = 0; index < before.length; index += 1) {
    const text = before[index] as string;
    if (!text.startsWith('-') || text === '-') {
      result.push({ kind: 'word', text, keys: [text], index });
      continue;
    }
    const equals = text.indexOf('=');
    const name = equals === -1 ? text : text.slice(0, equals);
    const keys = name.startsWith('--') ? [name.slice(2)] : [...name.slice(1)];
    result.push({ kind: 'option', text, keys, index });
    const last = keys.at(-1) ?? '';
    const next = before[index + 1];
    const takesValue = equals === -1 && !booleans.has(last) && !last.startsWith('no-');
    if (takesValue && next !== undefined && (!next.startsWith('-') || next === '-')) {
      index += 1;
      result.push({ kind: 'value', text: next, keys: [], index });
    }
  }
  return result;
}

function strayWordClause(token: Token, args: readonly string[], command: string | undefined, shape: CommandLineShape): string {
  const word = JSON.stringify(token.text);
  if (command === undefined || !shape.runCommands.has(command)) return `unexpected argument ${word}`;
  if (args.includes('--')) return `${word} is not an option of fleet ${command}: the whole command to run goes after --`;
  const fixed = [...args.slice(0, token.index), '--', ...args.slice(token.index)].map(quoteShellWord).join(' ');
  return `${word} is not an option of fleet ${command}: the command to run goes after --, as in: fleet ${fixed}`;
}

function unknownOptionClause(key: string, command: string | undefined, options: readonly string[]): string {
  const written = `${key.length === 1 ? '-' : '--'}${key}`;
  const habit = habitAdvice(command, written);
  if (habit !== undefined) return `unknown option ${written}; ${habit}`;
  const guess =
    key.length > 1
      ? didYouMean(
          key,
          options.filter((option) => option.length > 1),
        )
      : undefined;
  return `unknown option ${written}${guess === undefined ? '' : `; did you mean --${guess}?`}`;
}
