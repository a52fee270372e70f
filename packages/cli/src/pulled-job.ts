import type { JobView } from '@fleet/core';
import type { FleetStore } from '@fleet/store';
import { writePulled, type PullWriteOut } from './pull-writer.js';

/**
 * Writes out every child of a pull that brought something back, under
 * `localDir/HOST/`, and says on stderr what was refused. False when any
 * entry was refused (the run exits 1); a child that failed says so itself.
 */
export async function writePulledJob(
  store: FleetStore,
  rootId: number,
  children: readonly Pick<JobView, 'id' | 'location'>[],
  localDir: string,
  writeOut: PullWriteOut,
): Promise<boolean> {
  let refused = 0;
  for (const child of children) {
    if (writeOut.interrupted?.()) break;
    const report = await writePulled(store, rootId, child, localDir, writeOut);
    refused += report.refused;
  }
  if (refused > 0) process.stderr.write(`fleet pull: ${refused} entr${refused === 1 ? 'y was' : 'ies were'} refused and not written\n`);
  return refused === 0;
}
