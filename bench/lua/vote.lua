-- POST votes as logged-in members, CSRF token included, answered in JSON.
-- BENCH_INPUT: lines "voter_id<TAB>session cookie<TAB>csrf token"; BENCH_DESIGNS: one design id a line.
-- Each thread takes its own voters, so every (voter, design) pair is sent by one thread only; the score
-- is a function of the pair, so a pair sent twice stores the same vote. Every acknowledged vote
-- (HTTP 200) is written to BENCH_ACKS.<thread> for the integrity check.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local voters, designs, n, acks, sizes

function init(args)
  local threads = tonumber(os.getenv("BENCH_THREADS"))
  voters = {}
  for i, line in ipairs(read_lines(os.getenv("BENCH_INPUT"))) do
    if (i - 1) % threads == id - 1 then table.insert(voters, split(line)) end
  end
  designs = read_lines(os.getenv("BENCH_DESIGNS"))
  sizes = {"XS", "S", "M", "L", "XL", "XXL"}
  acks = io.open(os.getenv("BENCH_ACKS") .. "." .. id, "w")
  n = -1
end

function request()
  n = n + 1
  local voter = voters[(n % #voters) + 1]
  local design = tonumber(designs[(math.floor(n / #voters) % #designs) + 1])
  local voter_id = tonumber(voter[1])
  local score = (voter_id * 31 + design * 17) % 5 + 1
  local body = "csrf_token=" .. voter[3] .. "&score=" .. score
  if (voter_id + design) % 3 == 0 then
    body = body .. "&buy=y&size=" .. sizes[(voter_id + design) % 6 + 1]
  end
  return wrk.format("POST", "/vote/" .. design, {
    ["User-Agent"] = "tirage-bench",
    ["Cookie"] = "session=" .. voter[2],
    ["Accept"] = "application/json",
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Bench-Id"] = voter_id .. ":" .. design .. ":" .. score,
  }, body)
end

function response(status, headers, body)
  count_status(status)
  count_page(headers)
  if status == 200 then
    ok = ok + 1
    acks:write((header(headers, "X-Bench-Id") or "?") .. "\n")
    acks:flush()
  else
    refused = refused + 1
  end
end
