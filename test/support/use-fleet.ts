import { lineRecordBytes, type JobView, type LineRecord } from '@fleet/core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createFleetEnv, type FleetEnv } from './fleet-env.js';
import { until } from './poll.js';
import { startRedis, type TestRedis } from './redis-server.js';

/**
 * Hooks for a test file: one redis-server for the file, a fresh FleetEnv (own
 * prefix, own HOME) for each test, and the leak check after each.
 */
export function useFleet(extraEnv: NodeJS.ProcessEnv = {}) {
  let redis: TestRedis | undefined;
  let current: FleetEnv | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  beforeEach(async () => {
    current = await createFleetEnv(redis ?? null, extraEnv);
  });
  afterEach(async () => {
    await current?.cleanup();
  });
  return {
    get env(): FleetEnv {
      if (!current) throw new Error('no fleet environment outside a test');
      return current;
    },
    get redis(): TestRedis {
      if (!redis) throw new Error('no redis-server outside a test');
      return redis;
    },
  };
}

/** A job as `--json` prints it: the SPEC's shape, which is JobView's. */
export type JobJson = JobView;

export interface RecordJson {
  jobId: number;
  host: string;
  stream: string;
  data: unknown;
  /** Instead of `data`, a line that is not UTF-8. */
  dataBase64?: string;
  /** A last line the command did not end with a newline. */
  newline?: false;
  ts?: string;
}

/** The bytes a host wrote on `stream`, read back from its line records (see core's lineRecordBytes). */
export function streamBytes(records: readonly RecordJson[], stream: 'stdout' | 'stderr'): Buffer {
  return Buffer.concat(records.filter((record) => record.stream === stream).map((record) => lineRecordBytes(record as LineRecord)));
}

/** A fan-out of `command` over three `localhost` children run one at a time (`--throttle 1 --as-job`): the others wait their turn. */
export function oneAtATimeOnLocalhost(env: FleetEnv, command: string): Promise<JobJson> {
  return env.json<JobJson>(['invoke', '-c', 'localhost,localhost,localhost', '--throttle', '1', '--as-job', '--', command]);
}

/** `fleet invoke -c HOSTS --as-job -- COMMAND`: the new parent job. */
export function invokeAsJob(env: FleetEnv, hosts: string, command: string): Promise<JobJson> {
  return env.json<JobJson>(['invoke', '-c', hosts, '--as-job', '--', command]);
}

/** Polls `fleet get JOB --json` until the job reaches one of the states. */
export async function untilState(env: FleetEnv, id: number, states: string[], timeoutMs = 30_000): Promise<JobJson> {
  return until(
    async () => {
      const [job] = await env.json<JobJson[]>(['get', String(id)]);
      return job && states.includes(job.state) ? job : undefined;
    },
    { timeoutMs, what: `job ${id} to be ${states.join(' or ')}` },
  );
}

/**
 * Parses newline-delimited JSON records: the output records, without the end
 * record `--json` gives after each host's last one (see parseAllRecords).
 */
export function parseRecords(stdout: string): RecordJson[] {
  return parseAllRecords(stdout).filter((record) => record.stream !== 'end');
}

/** Parses newline-delimited JSON records, the end records of hosts included. */
export function parseAllRecords(stdout: string): RecordJson[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RecordJson);
}
