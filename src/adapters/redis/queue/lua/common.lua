-- Shared by every queue script (prepended by scripts.rs). ARGV[1] is the key prefix.
-- Keys, all under the prefix:
--   queue:task        hash  id -> task record (JSON, immutable while queued)
--   queue:data        hash  id -> payload bytes
--   queue:order       hash  id -> push sequence number (FIFO key)
--   queue:seq         counter of pushes
--   queue:ready       zset  id by sequence: queued, no dependency left in the queue
--   queue:blocked     zset  id by sequence: queued, waiting for dependencies
--   queue:deps_left   hash  id -> dependencies of a blocked task still in the queue
--   queue:dependents:<id>  set of queued tasks that depend on <id>
--   queue:dep_status:<id>  hash dependency id -> final status
--   queue:running     zset  id by lease deadline (ms)
--   queue:agent       hash  id -> agent id of a running task
--   queue:workers     hash  poll id -> "<agent id> <labels JSON>", or "K" once kicked
--   queue:worker_exp  zset  poll id by the time it vanishes unless refreshed (ms)
--   queue:paused      set while hand-out is paused
--   queue:outcome:<id>  how a running task ended, for its waiters (expires)
--   queue:wake        channel: something changed, blocked polls and waits look again
local P = ARGV[1]

local function k(name)
  return P .. 'queue:' .. name
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function wake()
  redis.call('PUBLISH', k('wake'), '1')
end

-- The task as {record, data, agent, dep_status as a flat list}, or false when unknown.
local function snapshot(id)
  local record = redis.call('HGET', k('task'), id)
  if not record then
    return false
  end
  return {
    record,
    redis.call('HGET', k('data'), id),
    redis.call('HGET', k('agent'), id) or '0',
    redis.call('HGETALL', k('dep_status:' .. id)),
  }
end

-- Removes a queued or running task; its queued dependents record `status` and become ready
-- when it was their last dependency in the queue. Waiters of a running task see `outcome`.
local function finish(id, status, outcome)
  local record = redis.call('HGET', k('task'), id)
  if not record then
    return false
  end
  local was_running = redis.call('ZREM', k('running'), id) == 1
  redis.call('ZREM', k('ready'), id)
  redis.call('ZREM', k('blocked'), id)
  redis.call('HDEL', k('task'), id)
  redis.call('HDEL', k('data'), id)
  redis.call('HDEL', k('order'), id)
  redis.call('HDEL', k('agent'), id)
  redis.call('HDEL', k('deps_left'), id)
  redis.call('DEL', k('dep_status:' .. id))
  for _, dep in ipairs(cjson.decode(record).dependencies) do
    redis.call('SREM', k('dependents:' .. dep), id)
  end
  local dependents = k('dependents:' .. id)
  for _, dependent in ipairs(redis.call('SMEMBERS', dependents)) do
    redis.call('HSET', k('dep_status:' .. dependent), id, status)
    if redis.call('HINCRBY', k('deps_left'), dependent, -1) <= 0 then
      redis.call('HDEL', k('deps_left'), dependent)
      if redis.call('ZREM', k('blocked'), dependent) == 1 then
        redis.call('ZADD', k('ready'), redis.call('HGET', k('order'), dependent), dependent)
      end
    end
  end
  redis.call('DEL', dependents)
  if was_running then
    redis.call('SET', k('outcome:' .. id), outcome, 'EX', 600)
  end
  return true
end
