-- ARGV[2]: task id, ARGV[3]: final status.
finish(ARGV[2], ARGV[3], 'finished')
wake()
return false
