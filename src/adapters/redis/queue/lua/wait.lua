-- ARGV[2]: task id. Returns `running`, or the recorded outcome of a task that left the
-- running set (`finished` when none is recorded).
local id = ARGV[2]
if redis.call('ZSCORE', k('running'), id) then
  return 'running'
end
return redis.call('GET', k('outcome:' .. id)) or 'finished'
