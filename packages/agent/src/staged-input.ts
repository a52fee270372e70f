import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeInputFailure, type CommandInput } from './executor.js';

/** --stdin's bytes, whole and checked, in a file with no name left: what a local command reads. */
export type StagedInput = { reader: FileHandle } | { failure: string };

/**
 * Writes --stdin's bytes, chunk by chunk (one in memory), to a private
 * file that is unlinked at once, every chunk checked against the signed
 * manifest. The command starts only once the whole input is there, as over
 * SSH: content changed in Redis runs nothing, and an agent that dies
 * mid-transfer never leaves a command reading a clean end of file on
 * truncated input. The name is gone before the first byte is written, so
 * nothing is left behind whatever happens; the bytes go with the last
 * descriptor, the command's.
 *
 * @returns a read descriptor at offset 0 (the caller gives it to the
 * command, then closes its own), or why the input is refused.
 */
export async function stageInput(input: CommandInput): Promise<StagedInput> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-stdin-'));
  const { writer, reader } = await openBoth(join(dir, 'input')).finally(() => rm(dir, { recursive: true, force: true }));
  try {
    for await (const chunk of input.read()) await writer.write(chunk);
    return { reader };
  } catch (error) {
    await reader.close();
    return { failure: describeInputFailure(error) };
  } finally {
    await writer.close();
  }
}

/** The file, made private, open for writing and for reading (a reader at offset 0 whatever is written). */
async function openBoth(path: string): Promise<{ writer: FileHandle; reader: FileHandle }> {
  const writer = await open(path, 'wx', 0o600);
  try {
    return { writer, reader: await open(path, 'r') };
  } catch (error) {
    await writer.close();
    throw error;
  }
}
