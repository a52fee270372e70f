import { resolveDeployment } from '@fleet/store';
import type { CliContext } from './context.js';

/** One resolution per CLI run: `--rerun-failed` checks against it, then signs with it. */
const resolved = new WeakMap<CliContext, Promise<string>>();

/**
 * The deployment this controller signs jobs for: FLEET_DEPLOYMENT, or the id
 * its Redis keeps, checked against the pin in the state directory (which the
 * agents this CLI starts share). Throws when Redis holds another id than the pin.
 */
export function controllerDeployment(context: CliContext): Promise<string> {
  let deployment = resolved.get(context);
  if (deployment === undefined) {
    deployment = resolveDeployment({
      client: context.store.client,
      keys: context.store.keys,
      target: context.target,
      named: context.settings.deployment,
      stateDir: context.settings.stateDir,
    });
    resolved.set(context, deployment);
  }
  return deployment;
}
