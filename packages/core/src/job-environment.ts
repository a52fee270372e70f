/**
 * The environment a job's command starts with on the agent's machine: the
 * agent's own, less every `FLEET_` variable, plus the job's (its signed
 * `--env` and fleet's per-child variables, which may be `FLEET_` names).
 * The agent's `FLEET_` variables are fleet's settings, and some hold a
 * credential or point at one (`FLEET_REDIS_URL` with its password,
 * `FLEET_REDIS_CLUSTER`, `FLEET_REDIS_CA`, `FLEET_SIGNING_KEY`):
 * none is the job's business, and a command that prints its environment
 * would store them in Redis. Dropping the whole prefix keeps a setting added
 * later from leaking by default.
 */
export function jobEnvironment(
  inherited: Readonly<Record<string, string | undefined>>,
  own: Readonly<Record<string, string>>,
): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(inherited)) {
    if (value !== undefined && !isFleetSetting(name)) environment[name] = value;
  }
  return Object.assign(environment, own);
}

/** A variable of fleet's own settings, which no job inherits. */
export function isFleetSetting(name: string): boolean {
  return name.startsWith('FLEET_');
}
