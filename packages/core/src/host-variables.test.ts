import { describe, expect, it } from 'vitest';
import type { RunSpec } from './command-spec.js';
import { HOST_VARIABLE_NAMES, hostVariables, withHostVariables, type LeafPlace } from './host-variables.js';

const SPEC: RunSpec = {
  command: { kind: 'shell', line: 'hostname' },
  workdir: null,
  env: { TOKEN: 'abc', FLEET_RANK: '99' },
  timeoutMs: null,
  connectTimeoutMs: null,
  maxOutputBytes: 1024,
};

/** The variables as one line, in their documented order. */
function asLine(place: LeafPlace): string {
  const variables = hostVariables(place);
  return HOST_VARIABLE_NAMES.map((name) => `${name}=${variables[name]}`).join(' ');
}

describe('hostVariables', () => {
  it.each<[string, LeafPlace, string]>([
    ['the first child', { id: 41, rootId: 40, location: 'web1', count: 3 }, 'FLEET_HOST=web1 FLEET_RANK=0 FLEET_COUNT=3 FLEET_JOB_ID=41'],
    [
      'the third child (ids rootId+1, rootId+2, ... in host-list order)',
      { id: 43, rootId: 40, location: 'deploy@db2:2222', count: 3 },
      'FLEET_HOST=deploy@db2:2222 FLEET_RANK=2 FLEET_COUNT=3 FLEET_JOB_ID=43',
    ],
    [
      'a start job, its own root: rank 0 of 1',
      { id: 7, rootId: 7, location: 'localhost', count: 1 },
      'FLEET_HOST=localhost FLEET_RANK=0 FLEET_COUNT=1 FLEET_JOB_ID=7',
    ],
  ])('gives %s its place', (_, place, line) => {
    expect(asLine(place)).toBe(line);
  });
});

describe('withHostVariables', () => {
  it("keeps the user's other values, and fleet's win over theirs of the same name", () => {
    const spec = withHostVariables(SPEC, { id: 12, rootId: 10, location: 'web2', count: 2 });
    expect(spec.env).toEqual({ TOKEN: 'abc', FLEET_HOST: 'web2', FLEET_RANK: '1', FLEET_COUNT: '2', FLEET_JOB_ID: '12' });
    expect(spec.command).toBe(SPEC.command);
    expect(SPEC.env).toEqual({ TOKEN: 'abc', FLEET_RANK: '99' });
  });
});
