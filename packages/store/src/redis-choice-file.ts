import { join } from 'node:path';
import { FileReadError, FleetError, formatDetectedRedis, parseDetectedRedis, type DetectedRedis } from '@fleet/core';
import { checkPrivateStateDir, ensurePrivateStateDir } from './private-state-dir.js';
import { createStateFile, readStateFile, writeStateFile } from './state-file.js';

/** Where the first choice of Redis (see core's redis-choice.ts) and the Redis the CLI used last are kept. */
export function redisChoiceFiles(stateDir: string) {
  return { choice: join(stateDir, 'redis-choice.json'), lastUsed: join(stateDir, 'redis-last-used') };
}

/** The recorded first choice, or null when none was made yet. */
export async function readRedisChoice(stateDir: string): Promise<DetectedRedis | null> {
  const file = redisChoiceFiles(stateDir).choice;
  const text = await readStateFile(file).catch((error: unknown) => {
    throw new FileReadError('the recorded Redis choice', file, error);
  });
  if (text === null) return null;
  // Whoever could write it could choose the Redis: the state directory must be this user's alone.
  await checkPrivateStateDir(stateDir);
  const detected = parseDetectedRedis(text);
  if (detected === null) {
    throw new FileReadError(
      'the recorded Redis choice',
      file,
      new Error('it names neither default-address nor embedded (delete it to choose again)'),
    );
  }
  return detected;
}

/** Records the first choice; when another process recorded one first, returns that one, which wins. */
export async function recordRedisChoice(stateDir: string, detected: DetectedRedis): Promise<DetectedRedis> {
  const file = redisChoiceFiles(stateDir).choice;
  try {
    await ensurePrivateStateDir(stateDir);
    if (await createStateFile(file, formatDetectedRedis(detected))) return detected;
  } catch (error) {
    if (error instanceof FleetError) throw error;
    throw new FleetError(`cannot record the Redis fleet chose in ${file}: ${(error as Error).message}`, {
      hint: 'check FLEET_STATE_DIR',
      cause: error,
    });
  }
  return (await readRedisChoice(stateDir)) ?? detected;
}

/** Records the Redis the CLI uses now (password hidden) and returns the one it used before, or null. */
export async function swapLastUsedRedis(stateDir: string, endpoint: string): Promise<string | null> {
  const file = redisChoiceFiles(stateDir).lastUsed;
  try {
    await ensurePrivateStateDir(stateDir);
    const last = (await readStateFile(file))?.trim() ?? null;
    if (last !== endpoint) await writeStateFile(file, `${endpoint}\n`);
    return last === '' ? null : last;
  } catch (error) {
    if (error instanceof FleetError) throw error;
    throw new FleetError(`cannot record the Redis in use in ${file}: ${(error as Error).message}`, {
      hint: 'check FLEET_STATE_DIR',
      cause: error,
    });
  }
}
