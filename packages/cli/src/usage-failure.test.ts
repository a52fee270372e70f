import { UsageError } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { explainUsageFailure, type CommandLineShape } from './usage-failure.js';

const commands = new Map([
  ['invoke', 'invoke'],
  ['invoke-command', 'invoke'],
  ['start', 'start'],
  ['get', 'get'],
  ['receive', 'receive'],
]);
const invoke: CommandLineShape = {
  commands,
  runCommands: new Set(['invoke', 'start']),
  options: ['hosts-file', 'f', 'computer-name', 'c', 'w', 'throttle', 'p', 'timeout', 't', 'as-job', 'json', 'help', 'redis'],
  booleans: new Set(['as-job', 'json', 'help']),
};
const top: CommandLineShape = { ...invoke, options: ['help', 'version', 'redis'], booleans: new Set(['help', 'version']) };

function explain(message: string, line: string, shape = invoke): { message: string; hint: string | undefined } {
  const error = explainUsageFailure(message, line === '' ? [] : line.split(' '), shape);
  expect(error).toBeInstanceOf(UsageError);
  return { message: error.message, hint: error.hint };
}

describe('explainUsageFailure', () => {
  it('says that the command to run goes after --, with the line fixed', () => {
    expect(explain('Unknown argument: uptime', 'invoke -f H uptime')).toEqual({
      message: '"uptime" is not an option of fleet invoke: the command to run goes after --, as in: fleet invoke -f H -- uptime',
      hint: 'fleet invoke --help shows the usage',
    });
  });

  it('takes the words after the first stray one as the command, flags included', () => {
    expect(explain('Unknown arguments: l, df', 'invoke -c web1 df -h -l').message).toBe(
      '"df" is not an option of fleet invoke: the command to run goes after --, as in: fleet invoke -c web1 -- df -h -l',
    );
  });

  it('does not take the value of an option for a stray word', () => {
    expect(explain('Unknown arguments: web1, echo', 'invoke -c web1 echo web1').message).toMatch(
      /^"echo" is not an option .* fleet invoke -c web1 -- echo web1$/,
    );
  });

  it('never reports the words after --, which are the command to run', () => {
    expect(explain('Unknown arguments: i, true', 'invoke -c web1 -i -- true').message).toBe(
      'unknown option -i; fleet prints HOST: line, as pssh -i does: leave it out (-i FILE is an Ansible inventory here)',
    );
    expect(explain('Unknown arguments: frobnicate, true', 'start --frobnicate -- true').message).toBe('unknown option --frobnicate');
  });

  it('offers the nearest option of the command', () => {
    expect(explain('Unknown argument: throtle', 'invoke -c web1 --throtle 3 -- true')).toEqual({
      message: 'unknown option --throtle; did you mean --throttle?',
      hint: 'fleet invoke --help shows the usage',
    });
    expect(explain('Unknown argument: as-jbo', 'invoke-command -c a --as-jbo=true -- x').message).toBe(
      'unknown option --as-jbo; did you mean --as-job?',
    );
  });

  it('gives fleet’s own flag for a pssh or clush one, each of a cluster', () => {
    expect(explain('Unknown arguments: i, b', 'invoke -c a -ib -- x').message).toBe(
      "unknown option -i; fleet prints HOST: line, as pssh -i does: leave it out (-i FILE is an Ansible inventory here); unknown option -b; clush's -b is --group here",
    );
  });

  it('offers the nearest command, ignoring what follows it', () => {
    expect(explain('Unknown arguments: c, invok', 'invok -c x -- true', top)).toEqual({
      message: 'unknown command "invok"; did you mean invoke?',
      hint: 'fleet --help lists the commands',
    });
    expect(explain('Unknown argument: teleport', 'teleport', top).message).toBe('unknown command "teleport"');
    expect(explain('Unknown argument: recieve', '--redis redis://x recieve 7', top).message).toBe(
      'unknown command "recieve"; did you mean receive?',
    );
  });

  it('says only "unexpected argument" for a command that runs nothing', () => {
    expect(explain('Unknown argument: extra', 'get 7 --json extra').message).toBe('unexpected argument "extra"');
  });

  it('keeps any other message of yargs, in plainer words where it can, with the command’s own help', () => {
    expect(explain('Not enough non-option arguments: got 0, need at least 1', 'receive')).toEqual({
      message: 'name a job: its id or its name',
      hint: 'fleet receive --help shows the usage',
    });
    expect(explain('name a command', '', top).hint).toBe('fleet --help shows the usage');
  });
});
