/** The states a job never leaves (core's FINAL_STATES; core's runtime is Node's, so not bundled here). */
const FINAL_STATES: ReadonlySet<string> = new Set(['Completed', 'Failed', 'Stopped']);

/** Whether a job in this state has ended: nothing about it changes any more but its removal. */
export function isEnded(state: string): boolean {
  return FINAL_STATES.has(state);
}
