-- ARGV[2..]: task ids.
for i = 2, #ARGV do
  finish(ARGV[i], 'killed', 'canceled')
end
wake()
return false
