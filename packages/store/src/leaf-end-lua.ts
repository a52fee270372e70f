/**
 * The transition script's second part: how a leaf ends, in named steps (end
 * the leaf, count it on its parent, apply the error budget, release the next
 * children), and the two ways in: a run ended, or a leaf ended before it
 * started. Lua source, joined with the other parts into one script; it uses
 * the keys and index functions of indexes-lua.ts.
 */
export const LEAF_END_LUA = `
---------------------------------------------------------------- A tree ends
-- Finished jobs are kept for the retention their creator chose (seconds).
local function expireTree(rootId)
  local rootKey = jobKey(rootId)
  -- Every job gets a retention when it is created; 7 days covers records from before that.
  local seconds = tonumber(redis.call('HGET', rootKey, 'retention') or '') or 604800
  redis.call('EXPIRE', rootKey, seconds)
  redis.call('EXPIRE', outputKey(rootId), seconds)
  redis.call('EXPIRE', doneKey(rootId), seconds)
  redis.call('EXPIRE', endedKey(rootId), seconds)
  for _, key in ipairs(chunkKeys(rootId)) do redis.call('EXPIRE', key, seconds) end
  dropPending(rootId)
  local childIds = redis.call('HGET', rootKey, 'childIds')
  if childIds and childIds ~= '' then
    for _, childId in ipairs(cjson.decode(childIds)) do redis.call('EXPIRE', jobKey(childId), seconds) end
  end
end

-- Wakes anyone following the tree's output (an XREAD on its done stream
-- returns at once), so that a job ending without a last line is noticed
-- without a poll; then keeps it all for its retention.
local function treeFinished(rootId)
  -- The sealed secret (--ask-sudo-pass) is needed by no leaf any more.
  redis.call('DEL', sealedKey(rootId))
  redis.call('XADD', doneKey(rootId), 'MAXLEN', 1, '*', 'id', rootId)
  expireTree(rootId)
end

---------------------------------------------------------------- A leaf ends, in steps
-- Step 1, end the leaf: its state, its indexes, its place in the tree's
-- ended list, why it failed as an output record. Returns the state it had,
-- or nil when it had already ended.
local function endLeaf(id, rootId, state, exitCode, reason, nowIso)
  local key = jobKey(id)
  local previous = redis.call('HGET', key, 'state')
  if not previous or isFinal(previous) then return nil end
  redis.call('HSET', key, 'state', state, 'endedAt', nowIso, 'exitCode', exitCode, 'reason', reason)
  indexEnded(id)
  redis.call('RPUSH', endedKey(rootId), id)
  noteLeafState(id, rootId, state, exitCode, reason, nowIso)
  if state ~= 'Completed' then
    redis.call('XADD', outputKey(rootId), '*',
      'j', id, 'h', redis.call('HGET', key, 'location'), 's', 'error', 'd', reason, 't', nowIso)
    noteOutput(id, rootId, 1, #reason)
  end
  redis.call('PUBLISH', FINISHED, id)
  return previous
end

-- Step 2, count it on its parent. Returns how the parent's children stand.
local function countOnParent(rootId, state, previous)
  local rootKey = jobKey(rootId)
  local counter = 'completed'
  if state == 'Failed' then counter = 'failed' elseif state == 'Stopped' then counter = 'stopped' end
  redis.call('HINCRBY', rootKey, counter, 1)
  if previous == 'Running' then redis.call('HINCRBY', rootKey, 'running', -1) end
  local counts = redis.call('HMGET', rootKey, 'total', 'completed', 'failed', 'stopped')
  local failed = tonumber(counts[3] or '0')
  return {
    total = tonumber(counts[1] or '0'),
    ended = tonumber(counts[2] or '0') + failed + tonumber(counts[4] or '0'),
    failed = failed,
  }
end

-- Steps 1 and 2, and the tree's end when this was its last leaf. Returns
-- nil when the leaf had already ended; else the tree's standing: {rootId,
-- open (whether children are still to end), counts}.
local function settle(id, state, exitCode, reason, nowIso)
  local rootId = rootOf(id)
  local previous = endLeaf(id, rootId, state, exitCode, reason, nowIso)
  if previous == nil then return nil end
  if rootId == id then
    treeFinished(rootId)
    return {rootId = rootId, open = false}
  end
  local counts = countOnParent(rootId, state, previous)
  if counts.ended >= counts.total then
    redis.call('HSET', jobKey(rootId), 'endedAt', nowIso)
    treeFinished(rootId)
    noteParentEnded(rootId, nowIso)
    redis.call('PUBLISH', FINISHED, rootId)
    return {rootId = rootId, open = false}
  end
  return {rootId = rootId, open = true, counts = counts}
end

-- Step 3, the error budget (--max-errors): once more children have failed
-- than it allows, every child not yet started is Stopped (those queued for
-- an agent too: their claim finds them ended); running ones finish. Returns
-- whether it stopped them.
local function applyErrorBudget(tree, state, nowIso)
  if state ~= 'Failed' or not tree.open then return false end
  local rootKey = jobKey(tree.rootId)
  local maxErrors = tonumber(redis.call('HGET', rootKey, 'maxErrors') or '')
  if maxErrors == nil or tree.counts.failed <= maxErrors then return false end
  dropPending(tree.rootId)
  for _, childId in ipairs(cjson.decode(redis.call('HGET', rootKey, 'childIds'))) do
    local child = tostring(childId)
    if redis.call('HGET', jobKey(child), 'state') == 'NotStarted' then
      settle(child, 'Stopped', '', 'max errors exceeded', nowIso)
    end
  end
  return true
end

-- Step 4, release the next children into the slot a run freed: the next
-- pending one; with --batch, the next one of the current wave, none once
-- the wave is all let go until it has ended, then the next wave up to the
-- throttle. Returns their ids, noted for dispatch.
local function releaseNext(tree)
  if not tree.open then return {} end
  local rootId = tree.rootId
  local rootKey = jobKey(rootId)
  local count = 1
  local waveSize = tonumber(redis.call('HGET', rootKey, 'waveSize') or '')
  if waveSize then
    local total = tree.counts.total
    local waveEnd = tonumber(redis.call('HGET', rootKey, 'waveEnd') or '') or total
    -- Children let go so far (dispatched, or stopped while pending), in list order.
    local released = total - redis.call('LLEN', pendingKey(rootId))
    if released >= waveEnd then
      if tree.counts.ended < waveEnd then return {} end
      waveEnd = math.min(total, waveEnd + waveSize)
      redis.call('HSET', rootKey, 'waveEnd', waveEnd)
      local throttle = tonumber(redis.call('HGET', rootKey, 'throttle') or '') or waveSize
      count = math.min(throttle, waveEnd - released)
    end
  end
  local ids = {}
  for _ = 1, count do
    local nextId = popPending(rootId)
    if not nextId then break end
    noteDispatch(nextId)
    table.insert(ids, nextId)
  end
  return ids
end

---------------------------------------------------------------- Entry points for a leaf's end
-- A run ended on an agent (or its agent was lost): the budget, else the next children.
local function runEnded(id, state, exitCode, reason, nowIso)
  local tree = settle(id, state, exitCode, reason, nowIso)
  if tree == nil then return nil end
  if applyErrorBudget(tree, state, nowIso) then return {} end
  return releaseNext(tree)
end

-- A leaf ends before it started (stop, the watchdog): it frees no slot, so
-- nothing is released; a failure still counts against the budget.
local function endUnstarted(id, state, reason, nowIso)
  local rootId = rootOf(id)
  if rootId ~= id then takePending(rootId, id) end
  local tree = settle(id, state, '', reason, nowIso)
  if tree ~= nil then applyErrorBudget(tree, state, nowIso) end
end

`;
