-- Takes every running task past its deadline, unless paused. Returns their snapshots with ids.
if redis.call('EXISTS', k('paused')) == 1 then
  return {}
end
local taken = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', k('running'), '-inf', now_ms())) do
  taken[#taken + 1] = { id, snapshot(id) }
  finish(id, 'failure', 'expired')
end
if #taken > 0 then
  wake()
end
return taken
