// The chaos soak, short (issue 17 point 10): 75 s of faults (agents SIGKILLed
// and restarted with SIGTERM, Redis crashed and restarted, sshd hosts stopped
// and frozen) under fan-outs over four sshd hosts and localhost, then each
// invariant in its own test. `npm run soak` runs the long one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_KINDS, createSoakWorld, runSoak, type SoakResult, type SoakWorld } from './support/soak/soak.js';
import type { InvariantName } from './support/soak/invariants.js';

const seed = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
let world: SoakWorld | undefined;
let result: SoakResult | undefined;

beforeAll(async () => {
  world = await createSoakWorld({ hosts: 4, agents: 3 });
  result = await runSoak(world, {
    faultMs: 75_000,
    seed,
    lanes: 2,
    settleMs: 150_000,
    orphanWaitMs: 45_000,
    log: (line) => process.stderr.write(`soak (seed ${seed}): ${line}\n`),
  });
}, 600_000);

afterAll(() => world?.close(), 120_000);

const soak = (): SoakResult => {
  if (!result) throw new Error('the soak did not run');
  return result;
};
const invariant = (name: InvariantName) => {
  const found = soak().verdict.invariants.find((entry) => entry.name === name);
  if (!found) throw new Error(`no invariant ${name}`);
  return found;
};

describe(`a short chaos soak (replay with SOAK_SEED=${seed})`, () => {
  it('injects every kind of fault while fan-outs run through them', () => {
    for (const kind of FAULT_KINDS) expect(soak().faults[kind], kind).toBeGreaterThan(0);
    expect(soak().launched).toBeGreaterThan(0);
    expect(soak().children.some((child) => child.location === 'localhost')).toBe(true);
    expect(soak().children.some((child) => child.location !== 'localhost')).toBe(true);
    expect(soak().faultNotes).toEqual([]);
  });

  it('ends every job once the faults stop', () => {
    expect(invariant('every job ended').details).toEqual([]);
    expect(soak().settleMs).not.toBeNull();
  });

  it('runs no command twice', () => {
    expect(invariant('no command ran twice').details).toEqual([]);
  });

  it('accounts for every line, or counts it as dropped with a reason', () => {
    expect(invariant('every line accounted for').details).toEqual([]);
    expect(soak().verdict.lines.received).toBeGreaterThan(0);
  });

  it("keeps every agent's memory bounded", () => {
    expect(invariant('no unbounded agent memory').details).toEqual([]);
    // The agent in slot 0 is never faulted: its memory is judged over the whole run.
    expect(soak().verdict.memory.some((figure) => figure.ratio !== null)).toBe(true);
  });

  // A command whose agent was SIGKILLed, or whose host's sshd was stopped, must end
  // with it (issue 17 point 1): any process left carrying the marker is listed.
  it('leaves no orphan process on any host', () => {
    expect(invariant('no orphan process').details).toEqual([]);
  });
});
