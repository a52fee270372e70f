import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Small files in the state directory that several fleet processes may write
 * at once: each is written whole (a temporary file, then renamed or linked
 * into place), mode 600, in a directory of mode 700.
 */

/** The file's text, or null when there is none (ENOTDIR: the state directory is not one; writing then says so). */
export async function readStateFile(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

/** Replaces the file whole. */
export async function writeStateFile(file: string, text: string): Promise<void> {
  const temporary = await writeTemporary(file, text);
  await rename(temporary, file);
}

/** Writes the file only when there is none; returns false, leaving it as it is, when another process wrote it first. */
export async function createStateFile(file: string, text: string): Promise<boolean> {
  const temporary = await writeTemporary(file, text);
  try {
    await link(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

async function writeTemporary(file: string, text: string): Promise<string> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(temporary, text, { mode: 0o600 });
  return temporary;
}
