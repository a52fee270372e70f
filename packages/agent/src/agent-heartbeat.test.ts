import type { Interruption } from '@fleet/core';
import type { AgentInfo } from '@fleet/store';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentHeartbeat, type HeartbeatTarget } from './agent-heartbeat.js';

const INFO = { id: 'agent-1' } as AgentInfo;

function heartbeatWith(options: {
  running?: number[];
  stopRequested?: number[];
  idleTimeoutMs?: number | null;
  beat?: () => Promise<void>;
  beatenAt?: number | null;
}) {
  const calls: string[] = [];
  const interrupted: [number, Interruption][] = [];
  const lines: string[] = [];
  const onIdle = vi.fn();
  const target: HeartbeatTarget = {
    beat: (info) => {
      calls.push(`beat ${info.id}`);
      return options.beat?.() ?? Promise.resolve();
    },
    reap: () => {
      calls.push('reap');
      return Promise.resolve();
    },
    stopRequested: (ids) => Promise.resolve((options.stopRequested ?? []).filter((id) => ids.includes(id))),
  };
  const runner = {
    runningIds: options.running ?? [],
    interrupt: (id: number, reason: Interruption) => void interrupted.push([id, reason]),
  };
  const heartbeat = new AgentHeartbeat({
    target,
    runner,
    info: () => INFO,
    intervalMs: 1_000,
    idleTimeoutMs: options.idleTimeoutMs ?? null,
    onIdle,
    log: (line) => lines.push(line),
    beatenAt: options.beatenAt ?? null,
  });
  return { heartbeat, calls, interrupted, lines, onIdle, runner };
}

describe('AgentHeartbeat', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('beats and reaps every interval, and stops the running jobs whose record asks it', async () => {
    const { heartbeat, calls, interrupted } = heartbeatWith({ running: [1, 2], stopRequested: [2, 9] });
    heartbeat.start();
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual(['beat agent-1', 'reap']);
    expect(interrupted).toEqual([[2, 'stop']]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toEqual(['beat agent-1', 'reap', 'beat agent-1', 'reap']);
    heartbeat.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls).toHaveLength(4);
  });

  it('asks the agent to exit once no job has run for idleTimeoutMs, counting from the last job', async () => {
    const { heartbeat, onIdle, lines } = heartbeatWith({ idleTimeoutMs: 5_000 });
    heartbeat.start();
    await vi.advanceTimersByTimeAsync(3_000);
    heartbeat.busy(); // a job started or ended: the idle clock starts over
    await vi.advanceTimersByTimeAsync(5_000);
    expect(onIdle).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(onIdle).toHaveBeenCalled();
    expect(lines).toContain('idle for 5s, exiting');
    heartbeat.stop();
  });

  it('never idles out while a job runs, nor without an idle timeout', async () => {
    const busy = heartbeatWith({ idleTimeoutMs: 1_000, running: [1] });
    const forever = heartbeatWith({ idleTimeoutMs: null });
    busy.heartbeat.start();
    forever.heartbeat.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(busy.onIdle).not.toHaveBeenCalled();
    expect(forever.onIdle).not.toHaveBeenCalled();
    busy.heartbeat.stop();
    forever.heartbeat.stop();
  });

  it('logs a failed beat and tries again at the next', async () => {
    let failures = 1;
    const { heartbeat, calls, lines } = heartbeatWith({
      beat: () => (failures-- > 0 ? Promise.reject(new Error('Connection is closed.')) : Promise.resolve()),
    });
    heartbeat.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(lines).toEqual(['heartbeat failed: Connection is closed.']);
    expect(calls).toEqual(['beat agent-1']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toEqual(['beat agent-1', 'beat agent-1', 'reap']);
    heartbeat.stop();
  });

  it('idles out while Redis hangs every beat, and sends no second beat while one waits', async () => {
    const { heartbeat, calls, onIdle } = heartbeatWith({ idleTimeoutMs: 5_000, beat: () => new Promise(() => {}) });
    heartbeat.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
    expect(calls).toEqual(['beat agent-1']);
    heartbeat.stop();
  });

  it('knows when Redis last took a beat: not when a beat fails or waits', async () => {
    vi.setSystemTime(50_000);
    let answer = (): Promise<void> => Promise.resolve();
    const { heartbeat } = heartbeatWith({ beatenAt: 49_000, beat: () => answer() });
    expect(heartbeat.lastBeatAt).toBe(49_000);
    heartbeat.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(heartbeat.lastBeatAt).toBe(51_000);
    answer = () => Promise.reject(new Error('Connection is closed.'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(heartbeat.lastBeatAt).toBe(51_000);
    answer = () => new Promise(() => {}); // Redis frozen: the beat never answers
    await vi.advanceTimersByTimeAsync(3_000);
    expect(heartbeat.lastBeatAt).toBe(51_000);
    heartbeat.stop();
    expect(heartbeatWith({}).heartbeat.lastBeatAt).toBeNull();
  });
});
