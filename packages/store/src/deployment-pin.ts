import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { checkDeploymentName, DeploymentMismatchError, deploymentPinSubject, deploymentStep, FileReadError, FleetError } from '@fleet/core';
import type { FleetKeys } from './keys.js';
import { ensurePrivateStateDir } from './private-state-dir.js';
import { readStateFile, writeStateFile } from './state-file.js';
import { describeTarget, type RedisClient, type RedisTarget } from './redis-connection.js';

export interface DeploymentInput {
  client: RedisClient;
  keys: FleetKeys;
  /** The Redis as this process names it: the pin is kept per endpoint and prefix. */
  target: RedisTarget;
  /** FLEET_DEPLOYMENT, which wins when set. */
  named: string | null;
  /** Where pins are kept (`<stateDir>/deployments/`). */
  stateDir: string;
}

/**
 * The deployment this process signs jobs for (a controller) or serves (an
 * agent): FLEET_DEPLOYMENT, or the id Redis keeps, checked against the one
 * pinned here on first sight (see core's deployment-id.ts). Throws
 * {@link DeploymentMismatchError} when Redis holds another id than the pin.
 */
export async function resolveDeployment(input: DeploymentInput): Promise<string> {
  if (input.named !== null) return input.named;
  // A pin others could write or plant is no pin: the state directory must be this user's alone.
  await ensurePrivateStateDir(input.stateDir);
  const endpoint = describeTarget(input.target);
  const pinFile = deploymentPinFile(input.stateDir, endpoint, input.keys.prefix);
  const pinned = await readPin(pinFile);
  // What a Redis writer put there is pinned and written into nodes' agent.env: it must be a name first.
  const readInRedis = async (): Promise<string | null> => {
    const id = await input.client.get(input.keys.deployment);
    return id === null ? null : checkDeploymentName(id, `the deployment id Redis at ${endpoint} holds (${input.keys.deployment})`);
  };
  let inRedis = await readInRedis();
  // Two rounds at most: an offer is either taken or answered by the id another process set first.
  for (let round = 0; round < 2; round += 1) {
    const step = deploymentStep(inRedis, pinned, () => randomBytes(12).toString('base64url'));
    if (step.kind === 'mismatch') throw new DeploymentMismatchError(endpoint, input.keys.prefix, step.inRedis, step.pinned, pinFile);
    if (step.kind === 'use') {
      if (step.pin) await writePin(pinFile, { endpoint, prefix: input.keys.prefix, deployment: step.id });
      return step.id;
    }
    await input.client.set(input.keys.deployment, step.id, 'NX');
    inRedis = await readInRedis();
  }
  throw new Error(`Redis at ${endpoint} kept no deployment id under ${input.keys.deployment}`);
}

/** One file per Redis endpoint and prefix, named by their hash (an endpoint holds `/` and `:`). */
export function deploymentPinFile(stateDir: string, endpoint: string, prefix: string): string {
  const name = createHash('sha256').update(deploymentPinSubject(endpoint, prefix)).digest('hex').slice(0, 32);
  return join(stateDir, 'deployments', `${name}.json`);
}

interface Pin {
  endpoint: string;
  prefix: string;
  deployment: string;
}

async function readPin(file: string): Promise<string | null> {
  const text = await readStateFile(file).catch((error: unknown) => {
    throw new FileReadError('the deployment pin', file, error);
  });
  if (text === null) return null;
  let deployment: unknown;
  try {
    deployment = (JSON.parse(text) as Partial<Pin>).deployment;
  } catch {
    deployment = undefined;
  }
  if (typeof deployment !== 'string' || deployment === '') {
    throw new FileReadError('the deployment pin', file, new Error(`no deployment id in it (delete it to pin again the id Redis holds)`));
  }
  return deployment;
}

/** Written whole or not at all: processes that share the state directory may pin at once (the same id). */
async function writePin(file: string, pin: Pin): Promise<void> {
  try {
    await writeStateFile(file, `${JSON.stringify(pin)}\n`);
  } catch (error) {
    // Unpinned, a Redis writer could swap the id unseen: no job is made or run without the pin.
    throw new FleetError(`cannot pin deployment ${pin.deployment} in ${file}: ${(error as Error).message}`, {
      hint: 'check FLEET_STATE_DIR',
      cause: error,
    });
  }
}
