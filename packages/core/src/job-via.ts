/**
 * What `get --format list` says under `Via` for a child: which way it went
 * (`local`, `ssh`, `agent <id>` for a node's agent) and, once an agent took
 * it, which agent ran it (`ssh, agent <id>`), so that agents with different
 * configurations can be told apart by their results.
 */
export function jobVia(via: string | null, agentId: string | null): string | null {
  if (agentId === null || (via !== null && via.includes(agentId))) return via;
  return via === null ? `agent ${agentId}` : `${via}, agent ${agentId}`;
}
