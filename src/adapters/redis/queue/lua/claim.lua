-- A poll takes a ready task. ARGV[2]: poll id, ARGV[3]: task id, ARGV[4]: agent id,
-- ARGV[5]: lease (ms).
-- Returns {'ok', task snapshot}, {'kicked', nil} or {'taken', nil} (not ready any more, or paused).
local poll, id = ARGV[2], ARGV[3]
if redis.call('HGET', k('workers'), poll) == 'K' then
  redis.call('HDEL', k('workers'), poll)
  redis.call('ZREM', k('worker_exp'), poll)
  return { 'kicked', false }
end
if redis.call('EXISTS', k('paused')) == 1 or redis.call('ZREM', k('ready'), id) == 0 then
  return { 'taken', false }
end
redis.call('ZADD', k('running'), now_ms() + tonumber(ARGV[5]), id)
redis.call('HSET', k('agent'), id, ARGV[4])
redis.call('HDEL', k('workers'), poll)
redis.call('ZREM', k('worker_exp'), poll)
wake()
return { 'ok', snapshot(id) }
