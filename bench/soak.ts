// npm run soak [-- --minutes M] [--seed S] [--hosts N] [--agents N] [--lanes N]:
// the chaos soak (issue 17 point 10; see docs/design.md, "The chaos soak").
// Writes bench/SOAK.md (BENCH_OUT_DIR elsewhere) and exits 1 when an
// invariant failed. Not part of npm test; test/soak.test.ts runs a short one.
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { createSoakWorld, runSoak } from '../test/support/soak/soak.js';
import { reportFile } from './paths.js';
import { soakReport } from './soak-report.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    seed: { type: 'string' },
    hosts: { type: 'string', default: '6' },
    agents: { type: 'string', default: '3' },
    lanes: { type: 'string', default: '3' },
  },
});
const number = (name: keyof typeof values, text: string | undefined): number => {
  const value = Number(text);
  if (text === undefined || !Number.isFinite(value) || value <= 0) {
    process.stderr.write(`soak: --${name} takes a positive number, not ${JSON.stringify(text)}\n`);
    process.exit(2);
  }
  return value;
};
const minutes = number('minutes', values.minutes);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Math.floor(number('seed', values.seed));
const log = (line: string) => process.stderr.write(`soak: ${line}\n`);

log(`seed ${seed}, ${minutes} min of faults`);
const world = await createSoakWorld({ hosts: number('hosts', values.hosts), agents: number('agents', values.agents) });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping every process the soak started`);
    void world.close().finally(() => process.exit(130));
  });
}
let failed: boolean;
try {
  const result = await runSoak(world, {
    faultMs: minutes * 60_000,
    seed,
    lanes: number('lanes', values.lanes),
    log,
  });
  const file = reportFile('SOAK.md');
  await writeFile(
    file,
    soakReport(result, {
      replay: `npm run soak -- --minutes ${minutes} --seed ${seed} --hosts ${result.hosts} --agents ${result.agents} --lanes ${result.lanes}`,
      date: new Date().toISOString().slice(0, 10),
      machine: `${cpus().length} cores, Node ${process.versions.node}`,
    }),
  );
  failed = result.verdict.invariants.some((invariant) => !invariant.held);
  for (const invariant of result.verdict.invariants)
    log(`${invariant.held ? 'held  ' : 'FAILED'} ${invariant.name}${invariant.held ? '' : `: ${invariant.details.length} found`}`);
  log(`report: ${file}`);
} finally {
  await world.close();
}
process.exit(failed ? 1 : 0);
