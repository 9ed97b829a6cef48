-- Returns {paused, waiting polls, ready, blocked, running}; each list holds {id, snapshot}.
local function list(name)
  local out = {}
  for _, id in ipairs(redis.call('ZRANGE', k(name), 0, -1)) do
    out[#out + 1] = { id, snapshot(id) }
  end
  return out
end
local now = now_ms()
local polls = 0
for _, poll in ipairs(redis.call('ZRANGEBYSCORE', k('worker_exp'), now, '+inf')) do
  if redis.call('HGET', k('workers'), poll) ~= 'K' then
    polls = polls + 1
  end
end
return { redis.call('EXISTS', k('paused')), polls, list('ready'), list('blocked'), list('running') }
