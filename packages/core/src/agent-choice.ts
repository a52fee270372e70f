/**
 * Which live agents on the shared queue a CLI may leave its jobs to. An agent
 * reads its SSH configuration once, when it starts, and keeps it: one started
 * before the user exported FLEET_SSH_CONFIG would run the new jobs with the
 * old configuration. So an agent whose configuration file differs from the
 * CLI's is not used silently: one that fleet started itself (it exits when
 * idle) is told to drain, and the CLI starts a matching one; one run by hand
 * is the user's, and the CLI warns that it may take the job.
 */

/** What the choice reads of an agent (store's AgentInfo). */
export interface AgentForChoice {
  id: string;
  /** Missing from agents that do not say: counted as matching, as before. */
  sshConfig?: string | null;
  /** Set on agents fleet started itself (they exit when idle); missing or null on one run by hand. */
  idleTimeoutMs?: number | null;
  draining?: boolean;
}

export interface AgentChoice {
  /** Agents that serve the CLI as it is: when there is none, the CLI starts one. */
  matching: string[];
  /** Agents fleet started with another configuration, to drain. */
  drain: { id: string; sshConfig: string }[];
  /** Agents run by hand with another configuration: the CLI says so. */
  warn: { id: string; sshConfig: string }[];
}

export function chooseAgents(agents: readonly AgentForChoice[], sshConfig: string): AgentChoice {
  const choice: AgentChoice = { matching: [], drain: [], warn: [] };
  for (const agent of agents) {
    if (agent.draining === true) continue;
    if (agent.sshConfig === undefined || agent.sshConfig === null || agent.sshConfig === sshConfig) {
      choice.matching.push(agent.id);
      continue;
    }
    const other = { id: agent.id, sshConfig: agent.sshConfig };
    if (agent.idleTimeoutMs === undefined || agent.idleTimeoutMs === null) choice.warn.push(other);
    else choice.drain.push(other);
  }
  return choice;
}
