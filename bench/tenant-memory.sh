#!/usr/bin/env bash
# Resident memory of the server: idle, then after every one of N tenants (default 1,000)
# has served a request. Usage: bench/tenant-memory.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/instanterp" ./cmd/instanterp
bin="$work/instanterp"
data="$work/data"
start=$(date +%s.%N)
for i in $(seq 1 "$n"); do
  "$bin" tenant create "t$i" --admin-email "admin@example.com" --data "$data" --log-level error >/dev/null
done
created=$(date +%s.%N)
echo "provisioned $n tenants in $(echo "$created - $start" | bc) s (CLI process start included)"

"$bin" serve --data "$data" --listen "127.0.0.1:$port" --log-level error >/dev/null 2>"$work/serve.log" &
pid=$!
for _ in $(seq 1 100); do
  curl -sf --cacert "$data/tls/ca.pem" "https://localhost:$port/healthz" --connect-to "localhost:$port:127.0.0.1:$port" >/dev/null && break
  sleep 0.1
done
rss() { awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' "/proc/$pid/status"; }
sleep 1
echo "idle RSS: $(rss)"
urls=()
for i in $(seq 1 "$n"); do urls+=(--connect-to "t$i.localhost:$port:127.0.0.1:$port" "https://t$i.localhost:$port/healthz"); done
# One curl process, many URLs: measures the server, not process start-up.
t0=$(date +%s.%N)
curl -sf --cacert "$data/tls/ca.pem" "${urls[@]}" >/dev/null
t1=$(date +%s.%N)
echo "first request to each of $n tenants: $(echo "($t1 - $t0) * 1000 / $n" | bc -l | xargs printf '%.2f') ms per tenant (TLS handshake and database open included)"
echo "RSS after touching $n tenants: $(rss)"
# Idle SQLite connections close after two minutes; the handles stay cached.
sleep 150
echo "RSS after those tenants idled for 150 s: $(rss)"
