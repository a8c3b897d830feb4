-- Erasure: KEYS are every key a session may own (no scan). Returns how many existed.
return redis.call('DEL', unpack(KEYS))
