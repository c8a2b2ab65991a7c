#!/bin/sh
# The demo: build, then run yuqingd with the example configuration against a
# private redis-server (unix socket and append-only file under .demo/) and a fast
# clock (one monitored hour per real second).  It shows start-up, /healthz,
# a reload (SIGHUP), Redis going away and coming back, and a clean stop.
# Later stages of the project extend this story with feeds and incidents.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

demo=$(pwd)/.demo
rm -rf "$demo"
mkdir -p "$demo"
redis_pid=""
yq_pid=""
web_pid=""
smtp_pid=""
cleanup() {
	[ -n "$smtp_pid" ] && kill "$smtp_pid" 2>/dev/null || true
	[ -n "$yq_pid" ] && kill "$yq_pid" 2>/dev/null || true
	[ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
	[ -n "$web_pid" ] && kill "$web_pid" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

start_redis() {
	redis-server --port 0 --unixsocket "$demo/redis.sock" --unixsocketperm 700 \
		--save '' --appendonly yes --dir "$demo" --logfile "$demo/redis.log" &
	redis_pid=$!
	i=0
	until redis-cli -s "$demo/redis.sock" ping >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "demo: redis-server did not start" >&2; exit 1; }
		sleep 0.05
	done
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
port=$(free_port)
feedport=$(free_port)
smtpport=$(free_port)
sed -e "s|@DEMO@|$demo|g" -e "s|@PORT@|$port|g" -e "s|@FEEDPORT@|$feedport|g" \
	-e "s|@SMTPPORT@|$smtpport|g" \
	-e "s|@RULES@|$(pwd)/config/rules|g" \
	config/demo/demo.conf.in > "$demo/yuqing.conf"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
health() { curl -s -w '  (HTTP %{http_code})\n' "http://127.0.0.1:$port/healthz"; }

say "checking the configuration"
build/yuqingd --check-config "$demo/yuqing.conf"

say "starting a private redis-server on $demo/redis.sock"
start_redis

say "serving the bundled sample feeds (config/demo/) on 127.0.0.1:$feedport"
python3 -m http.server --bind 127.0.0.1 --directory config/demo "$feedport" \
	>"$demo/feeds.log" 2>&1 &
web_pid=$!
i=0
until curl -sf "http://127.0.0.1:$feedport/district.xml" >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "demo: the feed server did not start" >&2; exit 1; }
	sleep 0.05
done

say "a local mailbox (SMTP on 127.0.0.1:$smtpport, decoded into $demo/mailbox.txt)"
/usr/bin/python3 scripts/smtp-sink.py "$smtpport" "$demo/mailbox.txt" >"$demo/smtp.log" 2>&1 &
smtp_pid=$!
i=0
until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$smtpport),1)" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "demo: the SMTP sink did not start" >&2; exit 1; }
	sleep 0.05
done

say "starting yuqingd at 2026-11-27 08:00 (fast clock: 1 monitored hour per real second)"
build/yuqingd --foreground --config "$demo/yuqing.conf" --time-scale 3600 \
	--time-start 2026-11-27T08:00:00+08:00 >"$demo/yuqingd.log" 2>&1 &
yq_pid=$!
i=0
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$demo/yuqingd.log"; echo "demo: yuqingd is not healthy" >&2; exit 1; }
	sleep 0.1
done
health
i=0
until [ "$(redis-cli -s "$demo/redis.sock" xlen yq:items)" -ge 5 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "demo: items did not arrive" >&2; exit 1; }
	sleep 0.1
done

say "items recorded from the feeds (UTF-8 RSS, GBK RSS, JSON Feed; times in +08:00)"
redis-cli -s "$demo/redis.sock" --raw xrange yq:items - + |
	TZ=Asia/Shanghai awk 'prev=="feed"{f=$0} prev=="title"{t=$0} prev=="published"{p=$0}
	     prev=="first_seen"{printf "  [%-8s] %s  (published %s)\n", f, t, strftime("%m-%d %H:%M", p/1000)} {prev=$0}'

say "incidents opened (the drill and the 西宁市大通县 story were not tracked)"
rcli() { redis-cli -s "$demo/redis.sock" "$@"; }
i=0
until [ "$(rcli scard yq:incidents:open)" -ge 2 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "demo: no incidents" >&2; exit 1; }
	sleep 0.1
done
sleep 0.5
for id in $(rcli smembers yq:incidents:open); do
	rcli --raw hmget "yq:incident:$id" title class grade deaths departments \
		ms.release.due ms.response.due items |
	TZ=Asia/Shanghai awk 'NR==1{t=$0} NR==2{c=$0} NR==3{g=$0} NR==4{d=$0} NR==5{p=$0}
	     NR==6{r=$0} NR==7{o=$0} NR==8{n=$0}
	     END{printf "  %s\n    class %s, grade %s, toll %s, %s item(s), departments %s\n", t, c, g, d, n, p;
	         if (r != "") printf "    authoritative release due %s (5 h)\n", strftime("%m-%d %H:%M", r/1000);
	         if (o != "") printf "    response due %s (48 h)\n", strftime("%m-%d %H:%M", o/1000)}'
done

say "nobody acknowledged the major incident within 15 minutes: the director is paged; he opens the link in the message and confirms"
i=0
until grep -q '待确认】' "$demo/phones.txt" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "demo: no page for the unacknowledged incident" >&2; exit 1; }
	sleep 0.1
done
page=$(grep -m1 '待确认】' "$demo/phones.txt")
echo "  $page"
link=$(echo "$page" | grep -o 'http://[^ ]*/ack?t=[A-Za-z0-9_-]*')
curl -s "$link" | grep -o '<h1>[^<]*</h1>\|确认已收到' | sed 's/^/  GET  /'
curl -s -d "t=${link##*t=}" "${link%%\?*}" | grep -o '<h1>[^<]*</h1>' | sed 's/^/  POST /'
for id in $(rcli smembers yq:incidents:open); do
	rcli --raw hmget "yq:incident:$id" title state | paste -sd' ' | sed 's/^/  /'
done

say "the monitored clock runs on: warnings, the breach, the first reminder"
i=0
until rcli --raw xrange yq:alerts - + | grep -q '^overdue-1$'; do
	i=$((i + 1))
	[ $i -lt 150 ] || { echo "demo: no breach recorded" >&2; exit 1; }
	sleep 0.1
done
rcli --raw xrange yq:alerts - + |
	TZ=Asia/Shanghai awk 'prev=="milestone"{m=$0} prev=="stage"{s=$0} prev=="due_at"{d=$0}
	     prev=="title"{printf "  %s  %-8s %-9s %s\n", strftime("%m-%d %H:%M", d/1000), m, s, $0} {prev=$0}'

say "what the phones showed (console channel): on-call staff at every stage, the director from 1 h before and at the breach, the leader at the breach, the 区应急局 contact for its incident"
sleep 0.5
grep -c '^┌─' "$demo/phones.txt" | sed 's/^/  messages: /'
awk '/^┌─/{n++} n<=4' "$demo/phones.txt" | sed 's/^/  /'
echo "  ..."
grep -E '^┌─' "$demo/phones.txt" | grep -E '李主任|张区长' | head -6 | sed 's/^/  /'
grep -A3 '张区长' "$demo/phones.txt" | head -4 | sed 's/^/  /'

say "what reached the mailbox (the director, decoded back from RFC 2047 and base64)"
awk '/^✉/{n++} n==1' "$demo/mailbox.txt" | sed 's/^/  /'
echo "  (mails in all: $(grep -c '^✉' "$demo/mailbox.txt"))"

say "the RSSHub route answers an HTML page: a fetch failure, then 'source down'"
i=0
until redis-cli -s "$demo/redis.sock" xlen yq:events | grep -qv '^0$'; do
	i=$((i + 1))
	[ $i -lt 150 ] || { echo "demo: no source_down event" >&2; exit 1; }
	sleep 0.1
done
redis-cli -s "$demo/redis.sock" --raw xrange yq:events - + | paste -sd' ' | cut -c1-200
redis-cli -s "$demo/redis.sock" hmget yq:feed:rsshub last_error failures down | paste -sd' '

say "the on-call officer records the authoritative release (yuqingctl respond)"
export YQ_TOKEN=demo-only-operator-token-0123456789
ctl() { build/yuqingctl "$@" -c "$demo/yuqing.conf"; }
ctl list | sed 's/^/  /'
mine=$(ctl list --json --class major | python3 -c 'import json,sys; print(json.load(sys.stdin)["incidents"][0]["id"])')
ctl respond "$mine" release https://www.huainan.gov.cn/datong/notice/1 "区政府发布情况通报" | sed 's/^/  /'

say "reloading the configuration (SIGHUP)"
kill -HUP "$yq_pid"
sleep 0.5
health

say "stopping redis: /healthz turns 503 with the reason"
kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; redis_pid=""
sleep 1
health

say "redis is back: the daemon reconnects by itself"
start_redis
sleep 1.5
health

say "stopping yuqingd (SIGTERM)"
kill -TERM "$yq_pid"
rc=0
wait "$yq_pid" || rc=$?
yq_pid=""
echo "yuqingd exited with status $rc"

say "what yuqingd logged"
cat "$demo/yuqingd.log"
say "what it recorded in redis"
redis-cli -s "$demo/redis.sock" hgetall yq:daemon | paste - -
[ "$rc" = 0 ]

say "Monday 09:00: yuqingd (restarted at 08:59:30) mails the week's report to the director"
build/yuqingd --foreground --config "$demo/yuqing.conf" --time-scale 60 \
	--time-start 2026-11-30T08:59:30+08:00 >"$demo/yuqingd-monday.log" 2>&1 &
yq_pid=$!
i=0
until grep -q '舆情时效周报' "$demo/mailbox.txt" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 150 ] || { cat "$demo/yuqingd-monday.log"; echo "demo: no report mail" >&2; exit 1; }
	sleep 0.1
done
sleep 0.3
awk '/^✉/{head = $0; show = 0; next} /^  Subject:/{show = /舆情时效周报/; if (show) print head} show' \
	"$demo/mailbox.txt" | sed 's/^/  /'

say "the week's report (yuqingctl report --at Friday): detected, warned, escalated, acknowledged, responded"
ctl report --at 1795752000000 | sed 's/^/  /'

say "the on-call dashboard"
echo "  http://127.0.0.1:$port/dashboard   (token: $YQ_TOKEN)"
if [ "${YQ_DEMO_KEEP:-}" = 1 ]; then
	echo "  yuqingd keeps running (YQ_DEMO_KEEP=1): open the address above; Ctrl-C stops it"
	wait "$yq_pid" || true
else
	echo "  (run with YQ_DEMO_KEEP=1 to keep yuqingd running and open it)"
	kill -TERM "$yq_pid"
	wait "$yq_pid" || true
fi
yq_pid=""
