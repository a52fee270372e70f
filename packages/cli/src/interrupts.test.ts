import { EventEmitter } from 'node:events';
import { InterruptedError, OutputClosedError } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { Interrupts, type Interruption } from './interrupts.js';

function world() {
  const signals = new EventEmitter();
  const stdout = new EventEmitter();
  const interrupts = new Interrupts(signals, stdout);
  const seen: Interruption[] = [];
  interrupts.onFirst((reason) => seen.push(reason));
  return { signals, stdout, interrupts, seen };
}

describe('Interrupts', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('takes %s as an interruption, once', (signal) => {
    const { signals, interrupts, seen } = world();
    signals.emit(signal, signal);
    expect(seen).toEqual([new InterruptedError(signal)]);
    expect(interrupts.reason).toMatchObject({ name: 'InterruptedError', signal });
  });

  it('stops catching signals after the first, so that a second one acts as by default', () => {
    const { signals, seen } = world();
    signals.emit('SIGINT', 'SIGINT');
    expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM') + signals.listenerCount('SIGHUP')).toBe(0);
    expect(seen).toHaveLength(1);
  });

  it('takes a closed stdout as an interruption, keeping the system error', () => {
    const { stdout, signals, interrupts, seen } = world();
    stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(seen).toHaveLength(1);
    expect(interrupts.reason).toBeInstanceOf(OutputClosedError);
    expect((interrupts.reason as OutputClosedError).code).toBe('EPIPE');
    signals.emit('SIGTERM', 'SIGTERM'); // not caught any more: the first stands
    expect(seen).toHaveLength(1);
  });

  it('tells a listener that comes late of an interruption that has already come', () => {
    const signals = new EventEmitter();
    const interrupts = new Interrupts(signals, new EventEmitter());
    signals.emit('SIGHUP', 'SIGHUP');
    const seen: Interruption[] = [];
    interrupts.onFirst((reason) => seen.push(reason));
    expect(seen).toEqual([new InterruptedError('SIGHUP')]);
  });

  it('lets go of everything on release', () => {
    const { signals, stdout, interrupts } = world();
    interrupts.release();
    expect(signals.listenerCount('SIGINT') + stdout.listenerCount('error')).toBe(0);
  });
});
