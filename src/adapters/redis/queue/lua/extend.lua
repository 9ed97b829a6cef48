-- ARGV[2]: task id, ARGV[3]: agent id, ARGV[4]: lease (ms).
-- Returns `ok`, `not_found` or `wrong_agent`.
local id = ARGV[2]
if not redis.call('ZSCORE', k('running'), id) then
  return 'not_found'
end
if redis.call('HGET', k('agent'), id) ~= ARGV[3] then
  return 'wrong_agent'
end
redis.call('ZADD', k('running'), 'XX', now_ms() + tonumber(ARGV[4]), id)
return 'ok'
