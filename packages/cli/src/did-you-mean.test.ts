import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from './did-you-mean.js';

const COMMANDS = ['start', 'invoke', 'get', 'receive', 'wait', 'stop', 'remove', 'agent', 'agents', 'deploy'];
const FLAGS = ['throttle', 'timeout', 'connect-timeout', 'max-errors', 'batch', 'as-job', 'name', 'json', 'group', 'outdir'];

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['throtle', 'throttle', 1],
    ['ivnoke', 'invoke', 1],
    ['kitten', 'sitting', 3],
    ['recieve', 'receive', 1],
  ])('%j to %j is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('didYouMean', () => {
  it.each([
    ['invok', COMMANDS, 'invoke'],
    ['recieve', COMMANDS, 'receive'],
    ['stpo', COMMANDS, 'stop'],
    ['throtle', FLAGS, 'throttle'],
    ['timout', FLAGS, 'timeout'],
    ['max-error', FLAGS, 'max-errors'],
    ['conect-timeout', FLAGS, 'connect-timeout'],
  ])('suggests for %j the closest', (word, candidates, expected) => {
    expect(didYouMean(word, candidates)).toBe(expected);
  });

  it.each([
    ['teleport', COMMANDS],
    ['frobnicate', FLAGS],
    ['xy', FLAGS],
    ['', COMMANDS],
  ])('suggests nothing for %j, which is close to nothing', (word, candidates) => {
    expect(didYouMean(word, candidates)).toBeUndefined();
  });

  it('prefers the nearer candidate, and the first of equals', () => {
    expect(didYouMean('agen', COMMANDS)).toBe('agent');
    expect(didYouMean('sto', ['stop', 'std'])).toBe('stop');
  });
});
