-- POST /checkout as logged-in members whose cart holds one shirt (sandbox payments).
-- BENCH_INPUT: lines "user_id<TAB>session cookie<TAB>csrf token". An order created answers 303 (to the
-- payment page); a refusal answers 302 back to the cart.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local buyers, n

function init(args)
  buyers = {}
  for _, line in ipairs(read_lines(os.getenv("BENCH_INPUT"))) do
    local f = split(line)
    table.insert(buyers, wrk.format("POST", "/checkout", {
      ["User-Agent"] = "tirage-bench",
      ["Cookie"] = "session=" .. f[2],
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, "csrf_token=" .. f[3]))
  end
  n = (id * 7919) % #buyers
end

function request()
  n = n + 1
  return buyers[(n % #buyers) + 1]
end

function response(status, headers, body)
  count_status(status)
  count_page(headers)
  if status == 303 then ok = ok + 1 else refused = refused + 1 end
end
