-- Fragment: keep the gateway's answer for replays of rid, bounded to `window` entries.
local function keep_response(rid, payload, window)
  if redis.call('HSET', KEYS[6], rid, payload) == 1 then
    redis.call('RPUSH', KEYS[7], rid)
    while redis.call('LLEN', KEYS[7]) > window do
      redis.call('HDEL', KEYS[6], redis.call('LPOP', KEYS[7]))
    end
  end
end
