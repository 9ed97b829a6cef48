-- ARGV[2]: `1` to pause, `0` to resume.
if ARGV[2] == '1' then
  redis.call('SET', k('paused'), '1')
else
  redis.call('DEL', k('paused'))
end
wake()
return false
