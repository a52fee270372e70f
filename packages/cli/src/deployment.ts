import { resolveDeployment } from '@fleet/store';
import type { CliContext } from './context.js';

/**
 * The deployment this controller signs jobs for: FLEET_DEPLOYMENT, or the id
 * its Redis keeps, checked against the pin in the state directory (which the
 * agents this CLI starts share). Throws when Redis holds another id than the pin.
 */
export function controllerDeployment(context: CliContext): Promise<string> {
  return resolveDeployment({
    client: context.store.client,
    keys: context.store.keys,
    target: context.target,
    named: context.settings.deployment,
    stateDir: context.settings.stateDir,
  });
}
