-- wrk script for POST /evaluate: the JSON body comes from the environment (bench/throughput.py sets it),
-- so that the flag names stay defined in one place (bench/fixtures.py).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("VEXIL_BENCH_BODY")
