-- Marks the polls of agent ARGV[2] as kicked; they end when they next look.
local prefix = ARGV[2] .. ' '
local fields = redis.call('HGETALL', k('workers'))
for i = 1, #fields, 2 do
  if string.sub(fields[i + 1], 1, #prefix) == prefix then
    redis.call('HSET', k('workers'), fields[i], 'K')
  end
end
wake()
return false
