-- ARGV[2..]: id, record, data for each task in push order.
-- Returns the first id already queued (pushing none), or nil.
local tasks = {}
local seen = {}
for i = 2, #ARGV, 3 do
  local id = ARGV[i]
  if seen[id] or redis.call('HEXISTS', k('task'), id) == 1 then
    return id
  end
  seen[id] = true
  tasks[#tasks + 1] = { id = id, record = ARGV[i + 1], data = ARGV[i + 2] }
end
-- Records first, so that a dependency later in the same push counts as queued.
for _, t in ipairs(tasks) do
  redis.call('HSET', k('task'), t.id, t.record)
  redis.call('HSET', k('data'), t.id, t.data)
  t.seq = redis.call('INCR', k('seq'))
  redis.call('HSET', k('order'), t.id, t.seq)
  redis.call('DEL', k('outcome:' .. t.id))
end
for _, t in ipairs(tasks) do
  local left = 0
  local counted = {}
  for _, dep in ipairs(cjson.decode(t.record).dependencies) do
    if dep ~= t.id and not counted[dep] and redis.call('HEXISTS', k('task'), dep) == 1 then
      counted[dep] = true
      left = left + 1
      redis.call('SADD', k('dependents:' .. dep), t.id)
    end
  end
  if left > 0 then
    redis.call('HSET', k('deps_left'), t.id, left)
    redis.call('ZADD', k('blocked'), t.seq, t.id)
  else
    redis.call('ZADD', k('ready'), t.seq, t.id)
  end
end
wake()
return false
