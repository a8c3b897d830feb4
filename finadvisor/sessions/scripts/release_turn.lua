-- The gateway gives a turn slot back: KEYS[1] the session's inflight counter, decremented and
-- dropped at zero (no key outlives its turns).
if redis.call('DECR', KEYS[1]) <= 0 then redis.call('DEL', KEYS[1]) end
