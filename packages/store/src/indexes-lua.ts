import { DEFAULTS } from '@fleet/core';

/**
 * The transition script's first part: the keys it writes, the functions
 * that are the only writes to a shared index, and those that are the only
 * writes to the output counters and to the job events stream (see the
 * contract in transitions-lua.ts).
 * Lua source, joined with the other parts into one script.
 */
export const INDEXES_LUA = `
---------------------------------------------------------------- Keys
local RUNNING = prefix .. ':running'
local ROUTED = prefix .. ':routed'
local AGENTS = prefix .. ':agents'
local DISPATCHING = prefix .. ':dispatching'
local DEADLINES = prefix .. ':deadlines'
local ROOTS = prefix .. ':roots'
local NAMES = prefix .. ':names'
local FINISHED = prefix .. ':finished'
local EVENTS = prefix .. ':events'
local function jobKey(id) return prefix .. ':job:' .. id end
local function pendingKey(rootId) return prefix .. ':pending:' .. rootId end
local function outputKey(rootId) return prefix .. ':out:' .. rootId end
local function doneKey(rootId) return prefix .. ':done:' .. rootId end
local function endedKey(rootId) return prefix .. ':ended:' .. rootId end
local function followKey(rootId) return prefix .. ':follow:' .. rootId end
local function sealedKey(rootId) return prefix .. ':sealed:' .. rootId end
local function agentKey(agentId) return prefix .. ':agent:' .. agentId end
local function chunksKey(rootId) return prefix .. ':chunks:' .. rootId end
local function chunkKey(rootId, sha256) return prefix .. ':chunk:' .. rootId .. ':' .. sha256 end
local function pulledKey(rootId) return prefix .. ':pulled:' .. rootId end

-- A tree's content chunks (pushed or pulled files), the set naming them and
-- a pull's records: the keys that go with the tree when it is removed or expires.
local function chunkKeys(rootId)
  local keys = {chunksKey(rootId), pulledKey(rootId)}
  for _, sha256 in ipairs(redis.call('SMEMBERS', chunksKey(rootId))) do table.insert(keys, chunkKey(rootId, sha256)) end
  return keys
end

local function nowMs()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

local function isFinal(state)
  return state == 'Completed' or state == 'Failed' or state == 'Stopped'
end

-- The top-level job a job belongs to (itself when it has no parent).
local function rootOf(id)
  local parentId = redis.call('HGET', jobKey(id), 'parentId')
  if parentId and parentId ~= '' then return parentId end
  return id
end

---------------------------------------------------------------- Indexes
-- Every write to a shared index is one of these.

local function nameMember(name, id) return name .. '\\n' .. id end

local function indexNew(rootId, names)
  redis.call('ZADD', ROOTS, rootId, rootId)
  for _, entry in ipairs(names) do redis.call('ZADD', NAMES, 0, nameMember(entry[1], entry[2])) end
end

local function noteDispatch(id) redis.call('ZADD', DISPATCHING, nowMs(), id) end
local function clearDispatch(id) redis.call('ZREM', DISPATCHING, id) end
local function noteDeadline(id, atMs) redis.call('ZADD', DEADLINES, atMs, id) end
local function clearDeadline(id) redis.call('ZREM', DEADLINES, id) end
local function route(id, agentId) redis.call('HSET', ROUTED, id, agentId) end
local function unroute(id) redis.call('HDEL', ROUTED, id) end

-- A leaf starts: it leaves every index of jobs waiting to start.
local function indexStarted(id, agentId)
  redis.call('HSET', RUNNING, id, agentId)
  unroute(id)
  clearDispatch(id)
  clearDeadline(id)
end

-- A leaf ends (or is removed): it leaves every index.
local function indexEnded(id)
  redis.call('HDEL', RUNNING, id)
  unroute(id)
  clearDispatch(id)
  clearDeadline(id)
end

local function pushPending(rootId, ids)
  for _, id in ipairs(ids) do redis.call('RPUSH', pendingKey(rootId), id) end
end
local function popPending(rootId) return redis.call('LPOP', pendingKey(rootId)) end
local function takePending(rootId, id) redis.call('LREM', pendingKey(rootId), 0, id) end
local function dropPending(rootId) redis.call('DEL', pendingKey(rootId)) end

-- Returns whether the tree was still listed (its removal not yet reported).
local function unindexTree(rootId, leafIds, names)
  local listed = redis.call('ZREM', ROOTS, rootId) == 1
  for _, entry in ipairs(names) do redis.call('ZREM', NAMES, nameMember(entry[1], entry[2])) end
  for _, id in ipairs(leafIds) do indexEnded(id) end
  dropPending(rootId)
  return listed
end

---------------------------------------------------------------- Job events
-- Every write to the events stream (GET /api/events, fleet events) is one of
-- these, in the same script call as the change it reports. Every entry has the
-- same fields in the same order, so that Redis keeps their names once per node
-- of the stream, not per entry: k (created, state, removed), j (the job), r (its
-- top-level job), s (a leaf's state), x (exit code), w (reason), t (the time the
-- transition was given; none for a removal), n (a parent's counts,
-- completed,failed,stopped,total: the reader rolls its state and reason up, as
-- it does for a record). Returns the entry's id.
local function noteEvent(kind, id, rootId, state, exitCode, reason, nowIso, counts)
  return redis.call('XADD', EVENTS, 'MAXLEN', '~', ${DEFAULTS.eventStreamLength}, '*',
    'k', kind, 'j', id, 'r', rootId, 's', state, 'x', exitCode, 'w', reason, 't', nowIso, 'n', counts)
end

local function parentCounts(rootId)
  local counts = redis.call('HMGET', jobKey(rootId), 'completed', 'failed', 'stopped', 'total')
  return (counts[1] or '0') .. ',' .. (counts[2] or '0') .. ',' .. (counts[3] or '0') .. ',' .. (counts[4] or '0')
end

-- A top-level job was created: a leaf NotStarted, a parent with its counts.
local function noteCreated(rootId, isParent, nowIso)
  if isParent then return noteEvent('created', rootId, rootId, '', '', '', nowIso, parentCounts(rootId)) end
  return noteEvent('created', rootId, rootId, 'NotStarted', '', '', nowIso, '')
end

-- A leaf changed state (started, ended).
local function noteLeafState(id, rootId, state, exitCode, reason, nowIso)
  noteEvent('state', id, rootId, state, exitCode, reason, nowIso, '')
end

-- A parent's last child ended: its state is now final.
local function noteParentEnded(rootId, nowIso)
  noteEvent('state', rootId, rootId, '', '', '', nowIso, parentCounts(rootId))
end

-- A top-level job and its children are gone (removed, or expired and pruned).
local function noteRemoved(rootId)
  noteEvent('removed', rootId, rootId, '', '', '', '', '')
end

---------------------------------------------------------------- Output counters
-- Every write to unread and unreadBytes (a leaf's entries and bytes in
-- the output stream not yet received) and unreadTotal (a parent's
-- entries) is one of these two.

-- Entries of a leaf were added to its tree's stream. Returns the leaf's
-- unreceived bytes now (what the output cap is held to).
local function noteOutput(id, rootId, entries, bytes)
  redis.call('HINCRBY', jobKey(id), 'unread', entries)
  if rootId ~= id then redis.call('HINCRBY', jobKey(rootId), 'unreadTotal', entries) end
  return redis.call('HINCRBY', jobKey(id), 'unreadBytes', bytes)
end

-- One entry of a leaf was received and deleted. Entries written before the
-- bytes were counted take the count no lower than zero.
local function noteReceived(id, rootId, rootExists, bytes)
  local key = jobKey(id)
  if redis.call('EXISTS', key) == 1 then
    redis.call('HINCRBY', key, 'unread', -1)
    if redis.call('HINCRBY', key, 'unreadBytes', -bytes) < 0 then redis.call('HSET', key, 'unreadBytes', 0) end
  end
  if id ~= rootId and rootExists then redis.call('HINCRBY', jobKey(rootId), 'unreadTotal', -1) end
end

`;
