import { INDEXES_LUA } from './indexes-lua.js';
import { LEAF_END_LUA } from './leaf-end-lua.js';

/**
 * The fan-out state machine: every change of a job's state, and every write
 * to a shared index, as one Lua script, so that each change is atomic and
 * the indexes can be read in one place.
 *
 * Calling convention: KEYS[1] is any key of the prefix (so that a Redis
 * Cluster routes the call to the prefix's slot; every key shares its hash
 * tag); ARGV[1] is the operation, ARGV[2] the key prefix, and the rest are
 * the operation's own. Times are ISO strings passed in (records carry them
 * as the agents and CLIs wrote them); scores and ages use Redis's clock.
 *
 * Operations (ARGV from 3 on; reply):
 *
 * - create: JSON `{rootId, root, child, children, dispatchNow, deadlineMs,
 *   followMs?}`. `root` is the top-level job's hash; `child` the fields every child
 *   shares; `children` is `[id, name, location, signature]` per child in
 *   host-list order; the first `dispatchNow` children are dispatched, the
 *   rest wait in the pending list (see planFanOut). A top-level leaf (a
 *   `start` job) has no children and is dispatched itself. `followMs`, for a
 *   creator that follows the output itself (a synchronous invoke), sets
 *   `follow:<root>` for that long, so that no agent drops output before
 *   the creator's first word as a follower. Content chunks staged for the
 *   job (ChunkStore.put) lose their staging expiry: the tree owns them, and
 *   they go when it is removed or expires. Reply: the ids to hand to
 *   BullMQ now.
 * - remove: top-level ids. Deletes each tree (records, output, pending
 *   list, follower, content chunks) and its index entries. Reply: 1.
 * - pruneRoots: ids whose records have expired. Reply: 1.
 * - route: JSON `{toNodes: [[id, agentId]], toAgents: [[id, agentId]], via:
 *   [[id, text]]}`: children handed to a node agent's own queue, to a shared
 *   agent's own queue (affinity: it holds their host's connection), and how
 *   the others go. Reply: 1.
 * - release: agentId. The children routed to that agent's own queue and not
 *   started are taken back (it is draining). Reply: the ids to dispatch to
 *   the shared queue.
 * - dispatched: ids BullMQ now holds. Reply: 1.
 * - claim: id, agentId, nowIso. NotStarted → Running for this agent (a
 *   resent claim of the same agent gets the same answer). Reply: `{spec,
 *   location, rootId, signature, count}` (count: the parent's `total`
 *   children, 1 for a top-level leaf), or nil when the job is not
 *   NotStarted.
 * - finish: id, state, exitCode, reason, nowIso, agentId. Ends a run of
 *   this agent. Reply: the pending ids to dispatch now, or nil when the job
 *   had already ended or is another agent's.
 * - stop: nowIso, leaf ids. NotStarted leaves end as Stopped; running ones
 *   get `stopRequested`. Reply: the ids still running.
 * - reap: nowIso, redispatchAfterMs. Reply: `{ids to dispatch, ids to send
 *   to the shared queue instead of to the own queue of an agent that is
 *   gone or draining, ids to dispatch again, the agents gone from the
 *   agents set (their record expired), whose own queues can go}`.
 * - append: id, rootId, host, outputBatch, then (stream, data, ts) per
 *   record. Every stdout and stderr entry gets `r` = 1: its `d` is raw
 *   bytes as the command wrote them, and a stream's bytes are the `d` of its
 *   entries in order (entries without `r` were written before: lines joined
 *   by newlines). Reply: the leaf's unreceived bytes after the batch (a
 *   batch already written adds nothing; 0 for a removed job).
 * - ack: rootId, then (entryId, jobId, bytes) per entry received, `bytes`
 *   the length of its `d` (the reader has it; reading it here would copy
 *   every entry once more inside Redis). Deletes the entries; one already
 *   deleted (a resent ack) counts nothing. Reply: 1.
 *
 * Indexes, and who writes them (all through the functions of the "Indexes"
 * section below, and nowhere else):
 *
 * - `running` (hash id → agentId): added by claim; removed when the leaf
 *   ends (finish, stop, reap, the error budget) and by remove.
 * - `routed` (hash id → agent id, children queued for a node's own agent
 *   or a shared agent's own queue, not yet started): added by route;
 *   removed by claim, when the leaf ends, by reap when that agent is gone
 *   or draining, by release, and by remove.
 * - `agents` (set of agent ids; the agent registry adds them with each
 *   beat, and an agent's clean exit removes its own): removed by reap once
 *   an agent's record has expired.
 * - `dispatching` (zset id by ms, leaves about to reach BullMQ): added by
 *   create, by a finish or reap that releases pending children, and by reap
 *   for failovers and redispatches (which re-scores); removed by
 *   dispatched, claim, when the leaf ends, by reap once a noted leaf has
 *   started, and by remove.
 * - `deadlines` (zset id by signature expiry ms, leaves not yet started):
 *   added by create; removed by claim, when the leaf ends, by the watchdog
 *   in reap, and by remove.
 * - `pending:<root>` (list, children waiting for a slot, in host-list
 *   order): filled by create; popped by finish and reap when a slot frees;
 *   a child taken out by stop and the watchdog; deleted by the error budget,
 *   when the tree ends, and by remove.
 * - `roots` and `names` (zsets, lookup of top-level jobs and of names):
 *   added by create; removed by remove (`roots` also by pruneRoots).
 * - `follow:<root>` (a string with an expiry: a reader follows the tree's
 *   whole output): set by create for a following creator, and refreshed
 *   outside the script by the reader (OutputStore.follow); read by agents
 *   at the output cap; deleted by remove, else it expires.
 *
 * Job events (`events`, one stream per prefix, trimmed to about
 * DEFAULTS.eventStreamLength entries; through the noteX functions of
 * indexes-lua.ts, and nowhere else): create adds `created` for the
 * top-level job (its id is kept on the job as `eventId`, where a reader of
 * one job starts); claim adds the leaf's `Running`; a leaf's end (finish,
 * stop, reap, the watchdog, the error budget) adds its final state, and the
 * last child's end the parent's; remove, and pruneRoots for an expired tree,
 * add `removed`. Nothing else writes or trims it.
 *
 * Output counters, on job hashes (through noteOutput and noteReceived in
 * indexes-lua.ts, and nowhere else): a leaf's `unread` (entries) and
 * `unreadBytes` (the bytes of their `d`: what the output cap is held to),
 * and a parent's `unreadTotal` (its children's entries). Raised by append
 * and by a leaf's end (its `error` entry); lowered by ack.
 */
const TRANSITIONS_BODY = [
  `
local op = ARGV[1]
local prefix = ARGV[2]

`,
  INDEXES_LUA,
  LEAF_END_LUA,
  `
---------------------------------------------------------------- Operations
if op == 'create' then
  local plan = cjson.decode(ARGV[3])
  local rootId = plan.rootId
  redis.call('HSET', jobKey(rootId), unpack(plan.root))
  local names = {{plan.rootName, rootId}}
  local leaves = {}
  for _, child in ipairs(plan.children) do
    local id, name, location, signature = child[1], child[2], child[3], child[4]
    redis.call('HSET', jobKey(id), 'id', id, 'name', name, 'location', location, 'signature', signature, unpack(plan.child))
    table.insert(names, {name, id})
    table.insert(leaves, id)
  end
  if #leaves == 0 then leaves = {rootId} end
  -- Content stored for the job before it existed was staged with an expiry
  -- (so that a creator that died leaves nothing for ever): now the tree owns it.
  for _, key in ipairs(chunkKeys(rootId)) do redis.call('PERSIST', key) end
  indexNew(rootId, names)
  local rootKey = jobKey(rootId)
  redis.call('HSET', rootKey, 'eventId', noteCreated(rootId, #plan.children > 0, redis.call('HGET', rootKey, 'createdAt') or ''))
  if plan.followMs then redis.call('SET', followKey(rootId), '1', 'PX', plan.followMs) end
  local dispatch, pending = {}, {}
  for index, id in ipairs(leaves) do
    noteDeadline(id, plan.deadlineMs)
    if index <= plan.dispatchNow then
      noteDispatch(id)
      table.insert(dispatch, id)
    else
      table.insert(pending, id)
    end
  end
  pushPending(rootId, pending)
  return dispatch
end

if op == 'remove' then
  for i = 3, #ARGV do
    local rootId = ARGV[i]
    local rootKey = jobKey(rootId)
    local names = {{redis.call('HGET', rootKey, 'name') or '', rootId}}
    local leafIds = {rootId}
    local keys = {rootKey, outputKey(rootId), doneKey(rootId), endedKey(rootId), followKey(rootId), sealedKey(rootId)}
    for _, key in ipairs(chunkKeys(rootId)) do table.insert(keys, key) end
    local childIds = redis.call('HGET', rootKey, 'childIds')
    if childIds and childIds ~= '' then
      for _, childId in ipairs(cjson.decode(childIds)) do
        local id = tostring(childId)
        table.insert(names, {redis.call('HGET', jobKey(id), 'name') or '', id})
        table.insert(leafIds, id)
        table.insert(keys, jobKey(id))
      end
    end
    -- Reported once, by whichever of remove and pruneRoots unlists it (an expired tree too).
    local listed = unindexTree(rootId, leafIds, names)
    for _, key in ipairs(keys) do redis.call('DEL', key) end
    if listed then noteRemoved(rootId) end
  end
  return 1
end

if op == 'pruneRoots' then
  for i = 3, #ARGV do
    if redis.call('ZREM', ROOTS, ARGV[i]) == 1 then noteRemoved(ARGV[i]) end
  end
  return 1
end

if op == 'route' then
  local routes = cjson.decode(ARGV[3])
  for _, entry in ipairs(routes.toNodes) do
    redis.call('HSET', jobKey(entry[1]), 'via', 'agent ' .. entry[2])
    route(entry[1], entry[2])
  end
  -- Routed to a shared agent's own queue (the agent that holds its host's connection): still ssh.
  for _, entry in ipairs(routes.toAgents) do
    redis.call('HSET', jobKey(entry[1]), 'via', 'ssh')
    route(entry[1], entry[2])
  end
  for _, entry in ipairs(routes.via) do redis.call('HSET', jobKey(entry[1]), 'via', entry[2]) end
  return 1
end

-- A child routed to an agent's own queue that the agent will not take (gone,
-- or draining) goes to the shared queue instead, if it has not started: the
-- caller dispatches it there. A node route says so in its via.
local function reroute(id, agentId, failover)
  unroute(id)
  if redis.call('HGET', jobKey(id), 'state') ~= 'NotStarted' then return end
  local via = redis.call('HGET', jobKey(id), 'via') or ''
  if string.sub(via, 1, 6) == 'agent ' then
    redis.call('HSET', jobKey(id), 'via', 'ssh (the node agent ' .. agentId .. ' was lost before it started)')
  end
  noteDispatch(id)
  table.insert(failover, id)
end

-- Whether the agent takes what is routed to it: its record is there, and it
-- is not a shared agent draining (a node agent's queue is the node's: the
-- agent that replaces a draining one takes it). A record that is not JSON
-- (garbled, forged) counts as taking them: its key still expires unless an
-- agent beats it.
local function takesRoutedWork(agentId)
  local record = redis.call('GET', agentKey(agentId))
  if not record then return false end
  local ok, info = pcall(cjson.decode, record)
  return not (ok and type(info) == 'table' and info.draining == true and info.takesRouted == true)
end

if op == 'release' then
  local agentId = ARGV[3]
  local routed = redis.call('HGETALL', ROUTED)
  local failover = {}
  for i = 1, #routed, 2 do
    if routed[i + 1] == agentId then reroute(routed[i], agentId, failover) end
  end
  return failover
end

if op == 'dispatched' then
  for i = 3, #ARGV do clearDispatch(ARGV[i]) end
  return 1
end

if op == 'claim' then
  -- A claim resent after a reconnection (its reply lost) finds its own agent
  -- already holding the job, and gets the same answer: the agent has not run
  -- it yet, so that is still the first and only run.
  local id, agentId, nowIso = ARGV[3], ARGV[4], ARGV[5]
  local key = jobKey(id)
  local state = redis.call('HGET', key, 'state')
  local resent = state == 'Running' and redis.call('HGET', key, 'agentId') == agentId
  local rootId = rootOf(id)
  if not resent then
    if state ~= 'NotStarted' then return false end
    redis.call('HSET', key, 'state', 'Running', 'beganAt', nowIso, 'agentId', agentId)
    indexStarted(id, agentId)
    noteLeafState(id, rootId, 'Running', '', '', nowIso)
    -- How many children run now, for the progress line (countOnParent counts them down).
    if rootId ~= id then redis.call('HINCRBY', jobKey(rootId), 'running', 1) end
  end
  -- How many children the job has (FLEET_COUNT); a top-level leaf is one of one.
  local count = '1'
  if rootId ~= id then count = redis.call('HGET', jobKey(rootId), 'total') or '' end
  return {redis.call('HGET', jobKey(rootId), 'spec') or '', redis.call('HGET', key, 'location') or '', rootId,
    redis.call('HGET', key, 'signature') or '', count}
end

if op == 'finish' then
  local id, state, exitCode, reason, nowIso, agentId = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
  -- Only the agent that claimed a run may end it.
  if redis.call('HGET', jobKey(id), 'agentId') ~= agentId then return false end
  local released = runEnded(id, state, exitCode, reason, nowIso)
  if released == nil then return false end
  return released
end

if op == 'stop' then
  local nowIso = ARGV[3]
  local running = {}
  for i = 4, #ARGV do
    local id = ARGV[i]
    local key = jobKey(id)
    local state = redis.call('HGET', key, 'state')
    if state == 'NotStarted' then
      endUnstarted(id, 'Stopped', 'stopped', nowIso)
    elseif state == 'Running' then
      redis.call('HSET', key, 'stopRequested', '1')
      table.insert(running, id)
    end
  end
  return running
end

if op == 'reap' then
  local nowIso = ARGV[3]
  -- Runs whose agent stopped sending heartbeats fail, and free their slots.
  local entries = redis.call('HGETALL', RUNNING)
  local dispatch = {}
  for i = 1, #entries, 2 do
    local id, agentId = entries[i], entries[i + 1]
    if redis.call('EXISTS', agentKey(agentId)) == 0 then
      for _, nextId in ipairs(runEnded(id, 'Failed', '', 'agent lost', nowIso) or {}) do table.insert(dispatch, nextId) end
    end
  end
  -- Agents whose record expired (killed, or cut off from Redis) leave the set
  -- here and nowhere else, so that the caller removes each one's own queue once.
  local gone, goneSet = {}, {}
  for _, agentId in ipairs(redis.call('SMEMBERS', AGENTS)) do
    if redis.call('EXISTS', agentKey(agentId)) == 0 then
      redis.call('SREM', AGENTS, agentId)
      goneSet[agentId] = true
      table.insert(gone, agentId)
    end
  end
  -- Children waiting in the queue of an agent that is gone or draining (a
  -- node's, or a shared one's own) go to the shared queue. A draining shared
  -- agent releases its own after its draining beat; this catches those routed
  -- to it after, by dispatchers that had not yet seen it drain.
  local routed = redis.call('HGETALL', ROUTED)
  local failover = {}
  local takes = {}
  for i = 1, #routed, 2 do
    local id, agentId = routed[i], routed[i + 1]
    if takes[agentId] == nil then takes[agentId] = not goneSet[agentId] and takesRoutedWork(agentId) end
    if not takes[agentId] then reroute(id, agentId, failover) end
  end
  -- Leaves noted for dispatch that BullMQ never got (their dispatcher died):
  -- dispatch them again. BullMQ ignores an id it holds; the claim runs a job once.
  local overdue = redis.call('ZRANGEBYSCORE', DISPATCHING, '-inf', nowMs() - tonumber(ARGV[4]))
  local redispatch = {}
  for _, id in ipairs(overdue) do
    if redis.call('HGET', jobKey(id), 'state') == 'NotStarted' then
      noteDispatch(id)
      table.insert(redispatch, id)
    else
      clearDispatch(id)
    end
  end
  -- The watchdog: a leaf still NotStarted when its signature expires can never
  -- run (agents refuse it), whatever kept it from starting: fail it, so that
  -- its parent finishes. Siblings share one expiry, so none is dispatched.
  local expired = redis.call('ZRANGEBYSCORE', DEADLINES, '-inf', nowMs(), 'LIMIT', 0, 1000)
  for _, id in ipairs(expired) do
    clearDeadline(id)
    if redis.call('HGET', jobKey(id), 'state') == 'NotStarted' then
      endUnstarted(id, 'Failed', 'never started: no agent took it before its signature expired (FLEET_SIGNATURE_TTL)', nowIso)
    end
  end
  return {dispatch, failover, redispatch, gone}
end

if op == 'append' then
  -- Each batch of a job's output has a number; a batch resent after a
  -- reconnection (its reply lost) is recognised and not written twice.
  -- Nothing is written for a job that has been removed.
  local id, rootId, host, outputBatch = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
  local key = jobKey(id)
  if redis.call('EXISTS', key) == 0 then return 0 end
  if outputBatch <= (tonumber(redis.call('HGET', key, 'outputBatch') or '0') or 0) then
    return tonumber(redis.call('HGET', key, 'unreadBytes') or '0')
  end
  redis.call('HSET', key, 'outputBatch', outputBatch)
  local stream = outputKey(rootId)
  local count, bytes = 0, 0
  for i = 7, #ARGV, 3 do
    local name, data, ts = ARGV[i], ARGV[i + 1], ARGV[i + 2]
    if name == 'stdout' or name == 'stderr' then
      redis.call('XADD', stream, '*', 'j', id, 'h', host, 's', name, 'd', data, 't', ts, 'r', '1')
    else
      redis.call('XADD', stream, '*', 'j', id, 'h', host, 's', name, 'd', data, 't', ts)
    end
    count = count + 1
    bytes = bytes + #data
  end
  return noteOutput(id, rootId, count, bytes)
end

if op == 'ack' then
  -- Deletes received records and lowers the counts that hasMoreData and the output cap are read from.
  local rootId = ARGV[3]
  local stream = outputKey(rootId)
  local rootExists = redis.call('EXISTS', jobKey(rootId)) == 1
  for i = 4, #ARGV, 3 do
    local entryId, id, bytes = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
    if redis.call('XDEL', stream, entryId) == 1 then noteReceived(id, rootId, rootExists, bytes) end
  end
  return 1
end

return redis.error_reply('fleet: unknown transition ' .. tostring(op))
`,
].join('\n');

/**
 * The operations that end, free or refresh things in place, and so must
 * run while Redis is full (maxmemory reached under noeviction): what ends a
 * job, stops it, reaps a lost agent's jobs, deletes received output or
 * whole jobs, and unlists expired ones (`pruneRoots`). Each writes at most a
 * few small fields, one `error` entry and its events-stream entries (one
 * per job that ends or tree removed, in a stream trimmed to a fixed length)
 * beside what it frees. Output (`append`) and new jobs (`create`) grow
 * memory without bound and are never among them: Redis refuses those when
 * full, which is what keeps it from growing past maxmemory.
 */
export const BOUNDED_TRANSITIONS = ['finish', 'stop', 'reap', 'remove', 'pruneRoots', 'dispatched', 'ack'] as const;

/** The transition script for the operations that may grow memory: Redis refuses their first write when it is full. */
export const TRANSITIONS_LUA = TRANSITIONS_BODY;

/**
 * The same script for the {@link BOUNDED_TRANSITIONS} alone, run flagged
 * `allow-oom` (see allow-oom-script.ts): it refuses any other operation, so
 * that nothing that grows memory gets past maxmemory through it.
 */
export const BOUNDED_TRANSITIONS_LUA = `local bounded = {${BOUNDED_TRANSITIONS.map((op) => `${op} = true`).join(', ')}}
if not bounded[ARGV[1]] then
  return redis.error_reply('fleet: transition ' .. tostring(ARGV[1]) .. ' may grow memory and is not run with allow-oom')
end
${TRANSITIONS_BODY}`;
