-- ARGV[2]: task id. Returns {state, ms}: {`running`, ms until its lease ends, -1 while
-- paused}; {`expired`, 0} once the lease has ended (before `take_expired` removes the task);
-- for a task not running, how it left the running set ({`canceled` | `expired` | `finished`,
-- 0}), `finished` when nothing is recorded (never ran, or long ago).
local id = ARGV[2]
local deadline = redis.call('ZSCORE', k('running'), id)
if deadline then
  if redis.call('EXISTS', k('paused')) == 1 then
    return { 'running', -1 }
  end
  local left = tonumber(deadline) - now_ms()
  if left <= 0 then
    return { 'expired', 0 }
  end
  return { 'running', left }
end
return { redis.call('GET', k('outcome:' .. id)) or 'finished', 0 }
