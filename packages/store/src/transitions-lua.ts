/**
 * The state transitions of leaf jobs (children and `start` jobs), as one Lua
 * script so that each is atomic and they share `finish`. A command runs at most
 * once because only `claim` moves a job out of NotStarted, and only once.
 *
 * ARGV[1] is the operation, ARGV[2] the key prefix; KEYS[1] is any key of the
 * prefix, so that a Redis Cluster routes the script to the right slot.
 */
export const TRANSITIONS_LUA = `
local op = ARGV[1]
local prefix = ARGV[2]

local function jobKey(id) return prefix .. ':job:' .. id end

local function nowMs()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

-- A leaf about to be handed to BullMQ; the dispatcher removes it once BullMQ has it.
local function noteDispatch(id)
  redis.call('ZADD', prefix .. ':dispatching', nowMs(), id)
end

local function isFinal(state)
  return state == 'Completed' or state == 'Failed' or state == 'Stopped'
end

-- Finished jobs are kept for the retention their creator chose (seconds).
local function expireTree(rootId)
  local rootKey = jobKey(rootId)
  -- Every job gets a retention when it is created; 7 days covers records from before that.
  local seconds = tonumber(redis.call('HGET', rootKey, 'retention') or '') or 604800
  redis.call('EXPIRE', rootKey, seconds)
  redis.call('EXPIRE', prefix .. ':out:' .. rootId, seconds)
  redis.call('EXPIRE', prefix .. ':done:' .. rootId, seconds)
  redis.call('DEL', prefix .. ':pending:' .. rootId)
  local childIds = redis.call('HGET', rootKey, 'childIds')
  if childIds and childIds ~= '' then
    for _, childId in ipairs(cjson.decode(childIds)) do
      redis.call('EXPIRE', jobKey(childId), seconds)
    end
  end
end

-- A top-level job has finished: wake anyone following its output (an XREAD
-- on this stream returns at once), so that a job ending without a last line
-- is noticed without a poll; then keep it all for its retention.
local function treeFinished(rootId)
  redis.call('XADD', prefix .. ':done:' .. rootId, 'MAXLEN', 1, '*', 'id', rootId)
  expireTree(rootId)
end

-- The children to dispatch now that one has ended: the next pending one; or
-- with --batch, the next pending one of the current wave, none once the wave
-- is all let go until it has finished, then the next wave up to the throttle.
local function nextToDispatch(rootId, rootKey, done, total)
  local pendingKey = prefix .. ':pending:' .. rootId
  local batch = tonumber(redis.call('HGET', rootKey, 'batch') or '')
  local count = 1
  if batch then
    local waveEnd = tonumber(redis.call('HGET', rootKey, 'waveEnd') or '') or total
    -- Children let go so far (dispatched, or stopped while pending), in list order.
    local released = total - redis.call('LLEN', pendingKey)
    if released >= waveEnd then
      if done < waveEnd then return {} end
      waveEnd = math.min(total, waveEnd + batch)
      redis.call('HSET', rootKey, 'waveEnd', waveEnd)
      local throttle = tonumber(redis.call('HGET', rootKey, 'throttle') or '') or batch
      count = math.min(throttle, waveEnd - released)
    end
  end
  local ids = {}
  for _ = 1, count do
    local nextId = redis.call('LPOP', pendingKey)
    if not nextId then break end
    noteDispatch(nextId)
    table.insert(ids, nextId)
  end
  return ids
end

local stopForErrors

-- Ends a leaf job. Returns false when it had already ended (or belongs to
-- another agent), else the ids of pending siblings to dispatch now (with
-- dispatchNext; else none).
local function finish(id, state, exitCode, reason, nowIso, guardAgent, dispatchNext)
  local key = jobKey(id)
  local current = redis.call('HGET', key, 'state')
  if not current or isFinal(current) then return false end
  if guardAgent ~= '' and redis.call('HGET', key, 'agentId') ~= guardAgent then return false end
  redis.call('HSET', key, 'state', state, 'endedAt', nowIso, 'exitCode', exitCode, 'reason', reason)
  redis.call('HDEL', prefix .. ':running', id)
  redis.call('HDEL', prefix .. ':routed', id)
  redis.call('ZREM', prefix .. ':dispatching', id)
  redis.call('ZREM', prefix .. ':deadlines', id)
  local parentId = redis.call('HGET', key, 'parentId')
  local rootId = id
  if parentId and parentId ~= '' then rootId = parentId end
  local rootKey = jobKey(rootId)
  if state ~= 'Completed' then
    redis.call('XADD', prefix .. ':out:' .. rootId, '*',
      'j', id, 'h', redis.call('HGET', key, 'location'), 's', 'error', 'd', reason, 't', nowIso)
    redis.call('HINCRBY', key, 'unread', 1)
    if rootId ~= id then redis.call('HINCRBY', rootKey, 'unreadTotal', 1) end
  end
  redis.call('PUBLISH', prefix .. ':finished', id)
  if rootId == id then
    treeFinished(rootId)
    return {}
  end
  local counter = 'completed'
  if state == 'Failed' then counter = 'failed' elseif state == 'Stopped' then counter = 'stopped' end
  redis.call('HINCRBY', rootKey, counter, 1)
  if current == 'Running' then redis.call('HINCRBY', rootKey, 'running', -1) end
  local counts = redis.call('HMGET', rootKey, 'total', 'completed', 'failed', 'stopped')
  local total = tonumber(counts[1] or '0')
  local done = tonumber(counts[2] or '0') + tonumber(counts[3] or '0') + tonumber(counts[4] or '0')
  if done >= total then
    redis.call('HSET', rootKey, 'endedAt', nowIso)
    treeFinished(rootId)
    redis.call('PUBLISH', prefix .. ':finished', rootId)
    return {}
  end
  if state == 'Failed' and stopForErrors(rootId, rootKey, tonumber(counts[3] or '0'), nowIso) then return {} end
  if dispatchNext then return nextToDispatch(rootId, rootKey, done, total) end
  return {}
end

-- The error budget (--max-errors): once more children have failed than it
-- allows, every child not yet started is Stopped (those queued for an agent
-- too: their claim will find them ended); running ones finish. Returns
-- whether it stopped them.
stopForErrors = function(rootId, rootKey, failed, nowIso)
  local maxErrors = tonumber(redis.call('HGET', rootKey, 'maxErrors') or '')
  if maxErrors == nil or failed <= maxErrors then return false end
  redis.call('DEL', prefix .. ':pending:' .. rootId)
  for _, childId in ipairs(cjson.decode(redis.call('HGET', rootKey, 'childIds'))) do
    local child = tostring(childId)
    if redis.call('HGET', jobKey(child), 'state') == 'NotStarted' then
      finish(child, 'Stopped', '', 'max errors exceeded', nowIso, '', false)
    end
  end
  return true
end

if op == 'claim' then
  -- ARGV: id, agentId, nowIso. Returns {spec, location, rootId, signature} or false.
  -- A claim resent after a reconnection (its reply lost) finds its own agent
  -- already holding the job, and gets the same answer: the agent has not run
  -- it yet, so that is still the first and only run.
  local id, agentId, nowIso = ARGV[3], ARGV[4], ARGV[5]
  local key = jobKey(id)
  local state = redis.call('HGET', key, 'state')
  local resent = state == 'Running' and redis.call('HGET', key, 'agentId') == agentId
  if not resent then
    if state ~= 'NotStarted' then return false end
    redis.call('HSET', key, 'state', 'Running', 'beganAt', nowIso, 'agentId', agentId)
    redis.call('HSET', prefix .. ':running', id, agentId)
    redis.call('HDEL', prefix .. ':routed', id)
    redis.call('ZREM', prefix .. ':dispatching', id)
    redis.call('ZREM', prefix .. ':deadlines', id)
  end
  local parentId = redis.call('HGET', key, 'parentId')
  local rootId = id
  if parentId and parentId ~= '' then rootId = parentId end
  -- How many children run now, for the progress line (finish counts them down).
  if not resent and rootId ~= id then redis.call('HINCRBY', jobKey(rootId), 'running', 1) end
  return {redis.call('HGET', jobKey(rootId), 'spec') or '', redis.call('HGET', key, 'location') or '', rootId,
    redis.call('HGET', key, 'signature') or ''}
end

if op == 'finish' then
  -- ARGV: id, state, exitCode, reason, nowIso, agentId.
  local result = finish(ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], true)
  if result == false then return false end
  return result
end

if op == 'stop' then
  -- ARGV: nowIso, leaf ids... Returns the ids still running.
  local nowIso = ARGV[3]
  local running = {}
  for i = 4, #ARGV do
    local id = ARGV[i]
    local key = jobKey(id)
    local state = redis.call('HGET', key, 'state')
    if state == 'NotStarted' then
      local parentId = redis.call('HGET', key, 'parentId')
      if parentId and parentId ~= '' then redis.call('LREM', prefix .. ':pending:' .. parentId, 0, id) end
      finish(id, 'Stopped', '', 'stopped', nowIso, '', false)
    elseif state == 'Running' then
      redis.call('HSET', key, 'stopRequested', '1')
      table.insert(running, id)
    end
  end
  return running
end

if op == 'reap' then
  -- ARGV: nowIso, redispatchAfterMs. Fails jobs whose agent stopped sending
  -- heartbeats, takes back children waiting in the queue of a node agent that
  -- is gone, and finds dispatches that never reached BullMQ.
  -- Returns {siblings to dispatch, children to send over SSH, to dispatch again}.
  local nowIso = ARGV[3]
  local entries = redis.call('HGETALL', prefix .. ':running')
  local dispatch = {}
  for i = 1, #entries, 2 do
    local id, agentId = entries[i], entries[i + 1]
    if redis.call('EXISTS', prefix .. ':agent:' .. agentId) == 0 then
      for _, nextId in ipairs(finish(id, 'Failed', '', 'agent lost', nowIso, '', true) or {}) do table.insert(dispatch, nextId) end
    end
  end
  local routed = redis.call('HGETALL', prefix .. ':routed')
  local failover = {}
  for i = 1, #routed, 2 do
    local id, agentId = routed[i], routed[i + 1]
    if redis.call('EXISTS', prefix .. ':agent:' .. agentId) == 0 then
      redis.call('HDEL', prefix .. ':routed', id)
      if redis.call('HGET', jobKey(id), 'state') == 'NotStarted' then
        redis.call('HSET', jobKey(id), 'via', 'ssh (the node agent ' .. agentId .. ' was lost before it started)')
        noteDispatch(id)
        table.insert(failover, id)
      end
    end
  end
  -- Leaves noted for dispatch that BullMQ never got (their dispatcher died):
  -- dispatch them again. BullMQ ignores an id it holds; the claim runs a job once.
  local overdue = redis.call('ZRANGEBYSCORE', prefix .. ':dispatching', '-inf', nowMs() - tonumber(ARGV[4]))
  local redispatch = {}
  for _, id in ipairs(overdue) do
    if redis.call('HGET', jobKey(id), 'state') == 'NotStarted' then
      noteDispatch(id)
      table.insert(redispatch, id)
    else
      redis.call('ZREM', prefix .. ':dispatching', id)
    end
  end
  -- The watchdog: a leaf still NotStarted when its signature expires can never
  -- run (agents refuse it), whatever kept it from starting: fail it, so that
  -- its parent finishes. Siblings share one expiry, so none is dispatched.
  local expired = redis.call('ZRANGEBYSCORE', prefix .. ':deadlines', '-inf', nowMs(), 'LIMIT', 0, 1000)
  for _, id in ipairs(expired) do
    redis.call('ZREM', prefix .. ':deadlines', id)
    if redis.call('HGET', jobKey(id), 'state') == 'NotStarted' then
      local parentId = redis.call('HGET', jobKey(id), 'parentId')
      if parentId and parentId ~= '' then redis.call('LREM', prefix .. ':pending:' .. parentId, 0, id) end
      finish(id, 'Failed', '', 'never started: no agent took it before its signature expired (FLEET_SIGNATURE_TTL)', nowIso, '', false)
    end
  end
  return {dispatch, failover, redispatch}
end

if op == 'append' then
  -- ARGV: id, rootId, host, batch number, then (stream, data, ts) per record.
  -- Each batch of a job has a number; a batch resent after a reconnection
  -- (its reply lost) is recognised and not written twice. Nothing is written
  -- for a job that has been removed.
  local id, rootId, host, batch = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
  local key = jobKey(id)
  if redis.call('EXISTS', key) == 0 then return 0 end
  if batch <= (tonumber(redis.call('HGET', key, 'batch') or '0') or 0) then return 0 end
  redis.call('HSET', key, 'batch', batch)
  local stream = prefix .. ':out:' .. rootId
  local count = 0
  for i = 7, #ARGV, 3 do
    redis.call('XADD', stream, '*', 'j', id, 'h', host, 's', ARGV[i], 'd', ARGV[i + 1], 't', ARGV[i + 2])
    count = count + 1
  end
  redis.call('HINCRBY', key, 'unread', count)
  if rootId ~= id then redis.call('HINCRBY', jobKey(rootId), 'unreadTotal', count) end
  return count
end

if op == 'ack' then
  -- ARGV: rootId, then pairs of stream entry id and job id. Deletes received
  -- records and lowers the unread counts that hasMoreData is read from.
  local rootId = ARGV[3]
  local rootKey = jobKey(rootId)
  local rootExists = redis.call('EXISTS', rootKey) == 1
  for i = 4, #ARGV, 2 do
    local entryId, id = ARGV[i], ARGV[i + 1]
    if redis.call('XDEL', prefix .. ':out:' .. rootId, entryId) == 1 then
      local key = jobKey(id)
      if redis.call('EXISTS', key) == 1 then redis.call('HINCRBY', key, 'unread', -1) end
      if id ~= rootId and rootExists then redis.call('HINCRBY', rootKey, 'unreadTotal', -1) end
    end
  end
  return 1
end

return redis.error_reply('fleet: unknown transition ' .. tostring(op))
`;
