-- Puts back a task whose poll went away while claiming it. ARGV[2]: task id, ARGV[3]: agent id.
local id = ARGV[2]
if redis.call('ZSCORE', k('running'), id) and redis.call('HGET', k('agent'), id) == ARGV[3] then
  redis.call('ZREM', k('running'), id)
  redis.call('HDEL', k('agent'), id)
  redis.call('ZADD', k('ready'), redis.call('HGET', k('order'), id), id)
  wake()
end
return false
