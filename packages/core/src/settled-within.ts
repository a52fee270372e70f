/**
 * Waits for `work` to settle, but no longer than `ms`. True when it settled
 * (resolved or rejected) in time, false when the deadline came first. A
 * rejection is not rethrown: a step of a shutdown that fails or hangs must not
 * keep the next steps from running, and the caller decides what to log.
 */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = work.then(
    () => true as const,
    () => true as const,
  );
  try {
    return await Promise.race([settled, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
