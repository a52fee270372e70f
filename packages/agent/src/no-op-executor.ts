import { startRun, type Executor } from './executor.js';

/**
 * Runs nothing: every child ends at once, Completed with exit status 0 and
 * no output (`fleet agent --run-nothing`). Everything else an agent does for
 * a child (the claim, the signature's check, the ran/ entry, the end's
 * transition, the next child's dispatch) happens as ever: it measures
 * fleet's own control plane, with no SSH or process in the way.
 */
export const runNothing: Executor = ({ signal }) => Promise.resolve(startRun(signal)({ exitCode: 0 }));
