/**
 * Every Redis key and channel fleet uses. The prefix carries a hash tag
 * (`{fleet}` by default) so that all of them live in one Redis Cluster slot and
 * Lua scripts may touch any of them. Ids are integers, never user text, so no
 * job name can reach another key.
 *
 * With shards (issue 21, see fleet-shards.ts), each shard is a prefix of its
 * own with every key below, and a few keys are the coordinator's (the base
 * prefix, shard 0) whichever shard they are read from: `ids`, `shards`,
 * `deployment`, `agentSpawnLock` and `controlChannel`.
 */
export interface FleetKeys {
  prefix: string;
  /** The prefix of the coordinator: shard 0, which holds the keys every shard shares. */
  coordinatorPrefix: string;
  /** The one id counter of every shard (the coordinator's). */
  ids: string;
  /** A key of this prefix that holds nothing: what routes a script call to the prefix's slot on a Cluster. */
  slot: string;
  /** Set of the prefixes of every shard new jobs were ever put on besides the coordinator's own (the coordinator's). */
  shards: string;
  job(id: number | string): string;
  /** Sorted set of the ids of jobs that are not children. */
  roots: string;
  /** Sorted set `name\nid`, searched by lexical range. */
  names: string;
  /** The output stream of a top-level job and all its children. */
  output(rootId: number | string): string;
  /** A stream that gets one entry when a top-level job finishes: wakes those following its output. */
  done(rootId: number | string): string;
  /**
   * List of the ids of a top-level job's leaves in the order they ended,
   * pushed by the transition that ends each: a reader following the tree
   * learns which ended since it last looked by the list's tail alone.
   */
  ended(rootId: number | string): string;
  /**
   * Set, with a short expiry, while a reader follows a top-level job's
   * output and takes all of it (a synchronous invoke, `receive --wait`): an
   * agent at the output cap waits for that reader instead of dropping.
   */
  follower(rootId: number | string): string;
  /**
   * One chunk of a top-level job's content (pushed files), by its SHA-256
   * (hex): stored once per job however many files or hosts share it.
   */
  chunk(rootId: number | string, sha256: string): string;
  /** Set of the SHA-256 of every chunk stored for a top-level job: what remove and expiry delete with the tree. */
  chunks(rootId: number | string): string;
  /**
   * Hash of what a pull's children brought back: `CHILD:N` → entry N's
   * record (JSON), and `CHILD` → how many, set once the child's stream was
   * whole (see pulled-store.ts). Removed and expired with the tree.
   */
  pulled(rootId: number | string): string;
  /**
   * Stream of job events (created, state changes, removed), written only by
   * the transition script in the call that makes the change; read by
   * `GET /api/events` and `fleet events`.
   */
  events: string;
  /** Children of a job not yet handed to the queue (the throttle window). */
  pending(rootId: number | string): string;
  /** Hash: id of every running job → id of the agent running it. */
  running: string;
  /** Sorted set: leaves about to be handed to BullMQ, scored by when (ms); removed once BullMQ has them. */
  dispatching: string;
  /** Sorted set: leaves not yet started, scored by when their signature expires (ms); the watchdog fails overdue ones. */
  deadlines: string;
  /** Hash: id of every child handed to a node's own queue and not yet started → that node agent's id. */
  routed: string;
  agent(agentId: string): string;
  agents: string;
  /** Hash: agent id → the top-level job's secret sealed to that agent (see sealed-secrets.ts). */
  sealed(rootId: number | string): string;
  agentSpawnLock: string;
  /**
   * The deployment id every job here is signed for, unless FLEET_DEPLOYMENT
   * names it: set once (SET NX) by the first fleet process that finds none.
   */
  deployment: string;
  /** Pub/sub: stop requests for agents. */
  controlChannel: string;
  /** Pub/sub: the id of every job that reaches a final state. */
  finishedChannel: string;
}

/** The keys of a prefix; `coordinatorPrefix` (the base prefix, shard 0) holds the shared ones. */
export function fleetKeys(prefix: string, coordinatorPrefix: string = prefix): FleetKeys {
  return {
    prefix,
    coordinatorPrefix,
    ids: `${coordinatorPrefix}:ids`,
    slot: `${prefix}:ids`,
    shards: `${coordinatorPrefix}:shards`,
    job: (id) => `${prefix}:job:${id}`,
    roots: `${prefix}:roots`,
    names: `${prefix}:names`,
    output: (rootId) => `${prefix}:out:${rootId}`,
    done: (rootId) => `${prefix}:done:${rootId}`,
    ended: (rootId) => `${prefix}:ended:${rootId}`,
    follower: (rootId) => `${prefix}:follow:${rootId}`,
    chunk: (rootId, sha256) => `${prefix}:chunk:${rootId}:${sha256}`,
    chunks: (rootId) => `${prefix}:chunks:${rootId}`,
    pulled: (rootId) => `${prefix}:pulled:${rootId}`,
    pending: (rootId) => `${prefix}:pending:${rootId}`,
    events: `${prefix}:events`,
    running: `${prefix}:running`,
    routed: `${prefix}:routed`,
    dispatching: `${prefix}:dispatching`,
    deadlines: `${prefix}:deadlines`,
    agent: (agentId) => `${prefix}:agent:${agentId}`,
    agents: `${prefix}:agents`,
    sealed: (rootId) => `${prefix}:sealed:${rootId}`,
    agentSpawnLock: `${coordinatorPrefix}:agent-spawn`,
    deployment: `${coordinatorPrefix}:deployment`,
    controlChannel: `${coordinatorPrefix}:control`,
    finishedChannel: `${prefix}:finished`,
  };
}

/** The BullMQ queue every agent without a queue of its own takes jobs from. */
export const SHARED_QUEUE = 'run';
