import { describe, expect, it } from 'vitest';
import { SharedReread, type RereadOutcome } from './shared-reread.js';

/** Files whose version a test moves by hand, and reads it lets finish one at a time. */
function fakeFiles() {
  const files = {
    version: 'v1',
    ok: true,
    /** The version each read began at, in order. */
    reads: [] as string[],
    pending: [] as (() => void)[],
    /** Lets the oldest read still waiting finish. */
    finishOne() {
      files.pending.shift()?.();
    },
  };
  const read = (): Promise<RereadOutcome> => {
    const outcome = { version: files.version, ok: files.ok };
    files.reads.push(outcome.version);
    return new Promise((resolve) => files.pending.push(() => resolve(outcome)));
  };
  const reread = new SharedReread(
    () => Promise.resolve(files.version),
    read,
    () => Promise.resolve(),
  );
  return { files, reread };
}

/** Lets every promise callback already queued run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('SharedReread', () => {
  it('reads once for many callers, and not again until the version moves', async () => {
    const { files, reread } = fakeFiles();
    const callers = [reread.refresh(), reread.refresh(), reread.refresh()];
    await settle();
    files.finishOne();
    await Promise.all(callers);
    await reread.refresh();
    expect(files.reads).toEqual(['v1']);
    files.version = 'v2';
    const after = reread.refresh();
    await settle();
    files.finishOne();
    await after;
    expect(files.reads).toEqual(['v1', 'v2']);
  });

  it('reads again after a failed read, at the same version, until one reads cleanly', async () => {
    const { files, reread } = fakeFiles();
    files.ok = false;
    for (const expected of [['v1'], ['v1', 'v1']]) {
      const caller = reread.refresh();
      await settle();
      files.finishOne();
      await expect(caller).resolves.toEqual({ version: 'v1', ok: false });
      expect(files.reads).toEqual(expected);
    }
    files.ok = true;
    const fixed = reread.refresh();
    await settle();
    files.finishOne();
    await expect(fixed).resolves.toEqual({ version: 'v1', ok: true });
    await expect(reread.refresh()).resolves.toBeNull();
    expect(files.reads).toHaveLength(3);
  });

  it('does not let a caller that saw a change settle for a read that began before it', async () => {
    const { files, reread } = fakeFiles();
    const first = reread.refresh();
    await settle();
    expect(files.reads).toEqual(['v1']);
    // The file changes while that read is under way; a second caller sees the change and joins it.
    files.version = 'v2';
    const second = reread.refresh();
    await settle();
    files.finishOne();
    await expect(first).resolves.toEqual({ version: 'v1', ok: true });
    await settle();
    // The second caller waits for a read of its own version.
    expect(files.reads).toEqual(['v1', 'v2']);
    files.finishOne();
    await expect(second).resolves.toEqual({ version: 'v2', ok: true });
  });

  it('shares a delayed read with the callers that ask meanwhile', async () => {
    const { files, reread } = fakeFiles();
    const callers = [reread.again(1000), reread.again(1000), reread.refresh()];
    await settle();
    files.finishOne();
    await Promise.all(callers);
    expect(files.reads).toEqual(['v1']);
  });
});
