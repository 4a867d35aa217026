-- GET a rotating list of paths, each with its own cookie (or none): BENCH_INPUT lines "path<TAB>cookie".
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local entries, n

function init(args)
  entries = {}
  for _, line in ipairs(read_lines(os.getenv("BENCH_INPUT"))) do
    local f = split(line)
    local headers = {["User-Agent"] = "tirage-bench"}
    if f[2] ~= nil and f[2] ~= "" then headers["Cookie"] = "session=" .. f[2] end
    table.insert(entries, wrk.format("GET", f[1], headers))
  end
  n = (id * 7919) % #entries
end

function request()
  n = n + 1
  return entries[(n % #entries) + 1]
end

function response(status, headers, body)
  count_status(status)
  count_page(headers)
  if status == 200 then ok = ok + 1 else refused = refused + 1 end
end
