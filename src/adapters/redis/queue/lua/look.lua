-- A poll looks at the queue. ARGV[2]: poll id, ARGV[3]: "<agent id> <labels JSON>",
-- ARGV[4]: how long the poll stays registered without looking again (ms),
-- ARGV[5]: how many ready tasks to return.
-- Returns {state, waiting polls as a flat id/value list, first ready ids}; state is
-- `kicked` (the poll must end), `paused` or `ok`.
local now = now_ms()
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', k('worker_exp'), '-inf', now)) do
  redis.call('HDEL', k('workers'), gone)
  redis.call('ZREM', k('worker_exp'), gone)
end
local poll = ARGV[2]
if redis.call('HGET', k('workers'), poll) == 'K' then
  redis.call('HDEL', k('workers'), poll)
  redis.call('ZREM', k('worker_exp'), poll)
  return { 'kicked', {}, {} }
end
redis.call('HSET', k('workers'), poll, ARGV[3])
redis.call('ZADD', k('worker_exp'), now + tonumber(ARGV[4]), poll)
if redis.call('EXISTS', k('paused')) == 1 then
  return { 'paused', {}, {} }
end
return {
  'ok',
  redis.call('HGETALL', k('workers')),
  redis.call('ZRANGE', k('ready'), 0, tonumber(ARGV[5]) - 1),
}
