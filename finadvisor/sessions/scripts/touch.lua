-- Fragment: refresh the TTL of every key of the session (all of KEYS) so they expire together.
local function touch(ttl)
  for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ttl) end
end
