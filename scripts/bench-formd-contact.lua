-- wrk script for scripts/bench-formd.sh: POSTs a valid contact form (the
-- fields of formd/app.c's contact_fields; office and the honeypot strona
-- empty), each with its own subject, counts the answers by status and
-- prints them at the end as lines "status CODE COUNT".
local threads = {}

function setup(thread)
	thread:set("id", #threads + 1)
	table.insert(threads, thread)
end

function init(args)
	statuses = {}
	n = 0
	headers = {["Content-Type"] = "application/x-www-form-urlencoded",
	           ["Origin"] = wrk.scheme .. "://" .. wrk.host .. ":" .. wrk.port}
end

function request()
	n = n + 1
	local body = "name=Jan+Benchmark&email=jan.bench%40example.pl&office=" ..
		"&subject=bench+" .. id .. "-" .. n ..
		"&message=Dzie%C5%84+dobry%2C+pytanie+o+kurs+%28wiadomo%C5%9B%C4%87+testowa%29." ..
		"&strona="
	return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
	statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
	local total = {}
	for _, t in ipairs(threads) do
		for code, count in pairs(t:get("statuses")) do
			total[code] = (total[code] or 0) + count
		end
	end
	for code, count in pairs(total) do
		io.write(string.format("status %d %d\n", code, count))
	end
end
