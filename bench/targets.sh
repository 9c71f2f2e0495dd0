# shellcheck shell=bash
# The press path and its same-run baselines, shared by bench/run and bench/metrics-ab: a
# release stack of their own with its consumers stopped, a separate nginx with the two C
# libfcgi responders (nginx-204, c-fcgi-204, c-kafka), and wrk runs against any of them with
# the Kafka check and CPU per request. Sourced after bench/lib.sh, not run. The including
# script sets ROOT, RUN, OUT, XFF, DURATION, STACK_ENV and BENCH_NAME, exports
# BUTTON_PROCESSES, BUTTON_THREADS and BUTTON_KEEPALIVE, sets C_KAFKA_PROCESSES and
# C_KAFKA_THREADS, and calls stop_targets from its cleanup.

C_TOPIC=bench_c_reference   # the Kafka responder's own topic: button_presses stays the press's
BASE_A_PORT="${BENCH_BASE_A_PORT:-28090}"   # nginx-204 (/) and c-fcgi-204 (/fcgi-204/)
BASE_B_PORT="${BENCH_BASE_B_PORT:-28091}"   # c-kafka, a server block like the stack's app server
WRK_TIMEOUT=5s   # above the workers' 2 s ack timeout: a slow 503 is a Non-2xx, a hang a timeout

WRK_PID=""
BASE_NGINX_PID=""
RESPONDER_PID=""
KAFKA_RESPONDER_PID=""
STACK_STARTED=0

# stop_targets: everything start_press_stack and start_baselines started (for cleanup).
stop_targets() {
    stop_process "$WRK_PID" TERM
    stop_process "$CHILD_PID" TERM
    stop_process "$BASE_NGINX_PID" TERM
    stop_process "$RESPONDER_PID" TERM
    stop_process "$KAFKA_RESPONDER_PID" TERM   # flushes its producer first
    if [ "$STACK_STARTED" = 1 ]; then
        say "stopping the bench stack"
        env "${STACK_ENV[@]}" "$ROOT/scripts/stack" down >"$OUT/stack-down.log" 2>&1 \
            || say "scripts/stack down failed; see $OUT/stack-down.log"
    fi
}

# prepare_targets: the tools, free baseline ports, nothing left by a run killed with -9, and
# a fresh $RUN with $OUT in it.
prepare_targets() {
    command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
    command -v kcat >/dev/null || die "kcat is not installed (apt-get install kcat)"
    local port name
    for port in "$BASE_A_PORT" "$BASE_B_PORT"; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then die "port $port is taken"; fi
    done
    for name in base-nginx responder kafka-responder; do
        if [ -f "$OUT/$name.pid" ]; then stop_process "$(cat "$OUT/$name.pid")" TERM; fi
    done
    remove_run_dir
    mkdir -p "$OUT"
}

# start_press_stack: the bench stack (release binaries), with its sink and enricher stopped;
# sets APP_URL, KAFKA_BOOTSTRAP, BROKER_CONTROL and ACCESS_LOG.
start_press_stack() {
    say "starting the bench stack in $RUN"
    STACK_STARTED=1
    in_background env "${STACK_ENV[@]}" "$ROOT/scripts/stack" up --detach >"$OUT/stack-up.log" 2>&1 \
        || die "scripts/stack up failed:"$'\n'"$(tail -20 "$OUT/stack-up.log")"
    APP_URL="$(env_value APP_URL)"
    KAFKA_BOOTSTRAP="$(env_value KAFKA_BOOTSTRAP)"
    [ -n "$APP_URL" ] && [ -n "$KAFKA_BOOTSTRAP" ] || die "$RUN/stack.env lacks APP_URL or KAFKA_BOOTSTRAP"
    ACCESS_LOG="$RUN/nginx/access.log"
    # The press path only: the stack's downstream consumers (the PostgreSQL sink, the enricher
    # and through it ClickHouse) would process every press on the same 2 cores while the C
    # reference's topic has no consumer, so they are stopped here (measured on their own by
    # bench/sink and bench/clickhouse). With them running, press took half the rps.
    local part
    for part in enricher sink; do
        if [ -f "$RUN/pids/$part.pid" ]; then stop_process "$(cat "$RUN/pids/$part.pid")" TERM; fi
    done
    say "stopped the stack's sink and enricher: this benchmark measures the press path"
    BROKER_CONTROL="$(env_value BROKER_CONTROL)"
    [ -n "$BROKER_CONTROL" ] || die "$RUN/stack.env lacks BROKER_CONTROL"
}

# start_baselines: the C responders and a separate nginx in front of them; sets
# NGINX_204_URL, C_FCGI_204_URL, C_KAFKA_URL and C_ACCESS_LOG.
start_baselines() {
    # The Kafka responder's topic, with as many partitions as button_presses so that both
    # producers spread their messages alike. The local broker (librdkafka's mock cluster) does
    # not implement CreateTopics, so it is created through the broker's control socket.
    local press_partitions
    press_partitions="$(partitions_of button_presses | wc -l)"
    [ "$press_partitions" -gt 0 ] || die "kcat -L finds no partitions of button_presses"
    create_topic "$C_TOPIC" "$press_partitions"
    [ "$(partitions_of "$C_TOPIC" | wc -l)" -eq "$press_partitions" ] \
        || die "kcat -L does not show $C_TOPIC with $press_partitions partitions after creating it"
    say "created $C_TOPIC with $press_partitions partitions (kcat -L agrees)"

    say "building the C responder"
    cc -O2 -Wall -o "$OUT/responder" "$ROOT/bench/c-responder/responder.c" -lfcgi -lrdkafka -lpthread 2>"$OUT/cc.log" \
        || die "cc failed: $(cat "$OUT/cc.log")"
    "$OUT/responder" "$OUT/responder.sock" "$BUTTON_PROCESSES" "$BUTTON_THREADS" >"$OUT/responder.log" 2>&1 &
    RESPONDER_PID=$!
    echo "$RESPONDER_PID" >"$OUT/responder.pid"
    "$OUT/responder" "$OUT/kafka-responder.sock" "$C_KAFKA_PROCESSES" "$C_KAFKA_THREADS" "$KAFKA_BOOTSTRAP" "$C_TOPIC" \
        >"$OUT/kafka-responder.log" 2>&1 &
    KAFKA_RESPONDER_PID=$!
    echo "$KAFKA_RESPONDER_PID" >"$OUT/kafka-responder.pid"

    mkdir -p "$OUT/nginx/tmp"
    local user_line=""
    if [ "$(id -u)" -eq 0 ]; then
        if runuser -u www-data -- test -x "$OUT"; then
            user_line="user www-data;"
            chown -R www-data "$OUT/nginx/tmp"
        else
            user_line="user root;"
        fi
    fi
    cp "$ROOT/nginx/fastcgi.conf" "$OUT/nginx/fastcgi.conf"
    C_ACCESS_LOG="$OUT/nginx/c-kafka-access.log"
    cat >"$OUT/nginx/nginx.conf" <<CONF
# Written by $BENCH_NAME (bench/targets.sh): the baselines, configured like the stack's nginx
# where it matters (nginx/stack.conf.template: one worker, the same fastcgi.conf and upstream
# settings).
$user_line
worker_processes 1;
daemon off;
pid $OUT/nginx/nginx.pid;
error_log $OUT/nginx/error.log warn;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    server_tokens off;
    sendfile on;
    access_log off;
    client_body_temp_path $OUT/nginx/tmp/body;
    fastcgi_temp_path     $OUT/nginx/tmp/fastcgi;
    proxy_temp_path       $OUT/nginx/tmp/proxy;
    uwsgi_temp_path       $OUT/nginx/tmp/uwsgi;
    scgi_temp_path        $OUT/nginx/tmp/scgi;

    # The stack's access log format: c-kafka logs every request in it, as the stack does
    # for every press.
    log_format button '\$time_iso8601 "\$request_method \$uri" \$status \$body_bytes_sent '
                      '\$request_time \$upstream_response_time';

    # nginx-204: nginx alone. c-fcgi-204: FastCGI to the 204 responder, with the press
    # workers' processes, threads and keepalive and the stack's fastcgi settings. Neither
    # logs: they measure the floor of nginx and of FastCGI behind it.
    upstream responder {
        server unix:$OUT/responder.sock;
        keepalive $BUTTON_KEEPALIVE;
        keepalive_requests 100000;
        keepalive_timeout 60s;
    }
    server {
        listen 127.0.0.1:$BASE_A_PORT;
        location / { return 204; }
        location /fcgi-204/ {
            include $OUT/nginx/fastcgi.conf;
            fastcgi_pass responder;
            fastcgi_keep_conn on;
            fastcgi_connect_timeout 3s;
            fastcgi_send_timeout 10s;
            fastcgi_read_timeout 10s;
            fastcgi_next_upstream off;
        }
    }

    # c-kafka: the C responder that produces each request to $C_TOPIC and answers after
    # the delivery report. This server does for it exactly the work the stack's nginx does
    # for a press: the same real-IP handling, the same /api/ location (fastcgi settings,
    # body limits, error pages) and the same access log line per request, so that
    # press vs c-kafka compares the responders, not two differently loaded nginx.
    upstream kafka_responder {
        server unix:$OUT/kafka-responder.sock;
        keepalive $BUTTON_KEEPALIVE;
        keepalive_requests 100000;
        keepalive_timeout 60s;
    }
    server {
        listen 127.0.0.1:$BASE_B_PORT;
        access_log $C_ACCESS_LOG button;
        set_real_ip_from 127.0.0.0/8;
        set_real_ip_from ::1;
        real_ip_header X-Forwarded-For;
        real_ip_recursive on;

        location /api/ {
            include $OUT/nginx/fastcgi.conf;
            fastcgi_pass kafka_responder;
            fastcgi_keep_conn on;
            fastcgi_connect_timeout 3s;
            fastcgi_send_timeout 10s;
            fastcgi_read_timeout 10s;
            fastcgi_next_upstream off;
            client_max_body_size 4k;
            client_body_buffer_size 4k;
            client_body_timeout 10s;
            error_page 502 504 =503 @busy;
            error_page 413 @too_large;
        }
        location @busy {
            default_type text/html;
            add_header Retry-After 5 always;
            add_header Cache-Control no-store always;
            return 503 '<p class="line busy">The button is taking a short break.</p>\n';
        }
        location @too_large {
            default_type text/plain;
            return 413 "That request is too large.\n";
        }
    }
}
CONF
    nginx -t -q -p "$OUT/nginx" -c "$OUT/nginx/nginx.conf" -g "error_log stderr;" 2>"$OUT/nginx-test.log" \
        || die "baseline nginx config is invalid: $(cat "$OUT/nginx-test.log")"
    nginx -p "$OUT/nginx" -c "$OUT/nginx/nginx.conf" >"$OUT/nginx/stderr.log" 2>&1 &
    BASE_NGINX_PID=$!
    echo "$BASE_NGINX_PID" >"$OUT/base-nginx.pid"

    NGINX_204_URL="http://127.0.0.1:$BASE_A_PORT/api/press"
    C_FCGI_204_URL="http://127.0.0.1:$BASE_A_PORT/fcgi-204/api/press"
    C_KAFKA_URL="http://127.0.0.1:$BASE_B_PORT/api/press"
    ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$1")" = "$2" ]; }
    for _ in $(seq 100); do
        ready "$NGINX_204_URL" 204 && ready "$C_FCGI_204_URL" 204 && ready "$C_KAFKA_URL" 200 && break
        sleep 0.1
    done
    ready "$NGINX_204_URL" 204 || die "nginx-204 does not answer 204"
    ready "$C_FCGI_204_URL" 204 \
        || die "c-fcgi-204 does not answer 204: $(tail -3 "$OUT/nginx/error.log" "$OUT/responder.log" 2>/dev/null)"
    ready "$C_KAFKA_URL" 200 \
        || die "c-kafka does not answer 200: $(tail -3 "$OUT/nginx/error.log" "$OUT/kafka-responder.log" 2>/dev/null)"
}

# --- measurements --------------------------------------------------------------------

# settle LOG TOPIC: waits until the access log and the topic stop growing (in-flight
# requests finished).
settle() {
    local log=$1 topic=$2 last="" now
    for _ in $(seq 60); do
        sleep 0.25
        now="$(stat -c %s "$log"):$(topic_offsets "$topic")"
        [ "$now" = "$last" ] && return 0
        last="$now"
    done
}

# The press pool's workers: read afresh, since bench/metrics-ab restarts them.
worker_pids() { children_of "$(cat "$RUN/pids/workers.pid")"; }
broker_pid() { cat "$RUN/pids/broker.pid"; }
# CPU seconds (user+sys) used by this shell's finished children, into CHILDREN_CPU; taken
# around wrk's wait it is wrk's. `times` must run in this shell, not in a $(...) subshell.
children_cpu() {
    times >"$OUT/times"
    CHILDREN_CPU="$(sed -n 2p "$OUT/times" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); t += p[1] * 60 + p[2] } printf "%.2f", t }')"
}
ROWS=()   # "target|connections|rps|p50|p99|socket errors|non-2xx|requests|cpu%"

# run_wrk NAME CONNECTIONS URL [DURATION] → sets RPS P50 P99 SOCKERR NON2XX TIMEOUTS REQUESTS
# WRK_CPU MACHINE_BUSY. NAME also names the output file, so it must be unique per run.
run_wrk() {
    local name=$1 connections=$2 url=$3 duration=${4:-$DURATION}
    local file="$OUT/wrk-${name// /_}-c$connections.txt" m0
    m0="$(machine_ticks)"
    say "wrk -t1 -c$connections -d$duration $url ($name)"
    BENCH_COOKIE="$COOKIE" BENCH_XFF="$XFF" wrk -t1 "-c$connections" "-d$duration" --timeout "$WRK_TIMEOUT" \
        --latency -s "$ROOT/bench/press.lua" "$url" >"$file" 2>&1 &
    WRK_PID=$!
    children_cpu; local c0=$CHILDREN_CPU
    wait "$WRK_PID" || die "wrk failed: $(cat "$file")"
    WRK_PID=""
    children_cpu
    WRK_CPU="$(awk -v a="$c0" -v b="$CHILDREN_CPU" 'BEGIN{print b - a}')"   # seconds
    MACHINE_BUSY="$(busy_percent "$m0" "$(machine_ticks)")"
    RPS="$(awk '/^Requests\/sec:/{print $2}' "$file")"
    P50="$(to_ms "$(awk '$1=="50%"{print $2}' "$file")")"
    P99="$(to_ms "$(awk '$1=="99%"{print $2}' "$file")")"
    REQUESTS="$(awk '/requests in/{print $1}' "$file")"
    SOCKERR="$(awk '/Socket errors:/{gsub(",",""); print $4+$6+$8+$10}' "$file")"
    TIMEOUTS="$(awk '/Socket errors:/{gsub(",",""); print $10}' "$file")"
    NON2XX="$(awk '/Non-2xx or 3xx responses:/{print $5}' "$file")"
    SOCKERR=${SOCKERR:-0}; TIMEOUTS=${TIMEOUTS:-0}; NON2XX=${NON2XX:-0}
    [ -n "$RPS" ] && [ -n "$P99" ] || die "cannot parse wrk output: $(cat "$file")"
    grep -E 'Socket errors|Non-2xx' "$file" | sed 's/^ */  wrk: /' >&2 || true
}

record_row() { ROWS+=("$1|$2|$RPS|$P50|$P99|$SOCKERR|$NON2XX|$REQUESTS|$MACHINE_BUSY"); }

# A run against a target that produces to Kafka, with the Kafka check (the topic must grow
# by one event per 200 in the target's access log) and its CPU per completed request.
#   run_kafka_target TARGET LABEL CONNECTIONS [DURATION]
# TARGET is press (the stack: workers, the stack's nginx, button_presses) or c-kafka (the
# C responder, the baseline nginx, bench_c_reference); both share the broker. Sets, besides
# run_wrk's figures, LAST_COST_TOTAL and LAST_COST_RESPONDER (µs per 200) and LAST_ABORTED.
SHARE_LINES=()   # CPU as % of a core per process group, per run
COST_LINES=()    # CPU µs per completed request, per run
KAFKA_LINES=()
run_kafka_target() {
    local target=$1 label=$2 connections=$3 duration=${4:-$DURATION}
    local url log topic responder_pids nginx_pids responder_name broker
    case "$target" in
        press)
            url="$APP_URL/api/press"; log="$ACCESS_LOG"; topic=button_presses; responder_name=workers
            responder_pids="$(worker_pids)"; nginx_pids="$(children_of "$(cat "$RUN/pids/nginx.pid")")" ;;
        c-kafka)
            url="$C_KAFKA_URL"; log="$C_ACCESS_LOG"; topic="$C_TOPIC"; responder_name=responder
            responder_pids="$KAFKA_RESPONDER_PID $(children_of "$KAFKA_RESPONDER_PID")"
            nginx_pids="$(children_of "$BASE_NGINX_PID")" ;;
        *) die "run_kafka_target: unknown target $target" ;;
    esac
    broker="$(broker_pid)"
    local run="$label c$connections"
    settle "$log" "$topic"
    local log_offset events_before
    log_offset="$(stat -c %s "$log")"
    events_before="$(topic_offsets "$topic")" || die "cannot read the offsets of $topic"
    local r0 n0 b0 t0 t1 r1 n1 b1
    r0="$(cpu_ticks $responder_pids)"; n0="$(cpu_ticks $nginx_pids)"; b0="$(cpu_ticks "$broker")"
    t0="$(date +%s.%N)"
    run_wrk "$label" "$connections" "$url" "$duration"
    t1="$(date +%s.%N)"
    r1="$(cpu_ticks $responder_pids)"; n1="$(cpu_ticks $nginx_pids)"; b1="$(cpu_ticks "$broker")"
    settle "$log" "$topic"
    local events_after statuses ok aborted unexpected delta
    events_after="$(topic_offsets "$topic")" || die "cannot read the offsets of $topic"
    delta=$((events_after - events_before))
    statuses="$(tail -c "+$((log_offset + 1))" "$log" \
        | awk '$2=="\"POST" && $3=="/api/press\"" {n[$4]++} END{for (s in n) printf "%s=%d ", s, n[s]}')"
    ok="$(echo "$statuses" | tr ' ' '\n' | awk -F= '$1=="200"{print $2}')"; ok=${ok:-0}
    # Requests nginx gave up on (499: wrk closed the connection at its end; 5xx) may have
    # been produced all the same: the responder finishes a request whose client went away.
    aborted="$(echo "$statuses" | tr ' ' '\n' | awk -F= '$1=="499" || $1 ~ /^5/ {s+=$2} END{print s+0}')"
    unexpected="$(echo "$statuses" | tr ' ' '\n' | awk -F= '$1!="" && $1!="200" && $1!="499" && $1 !~ /^5/ {s+=$2} END{print s+0}')"

    # CPU: the share of a core per group while wrk ran, and µs per 200 (the requests the
    # server completed and Kafka holds). The ticks are taken around wrk alone; what the
    # server does for the few requests that finish after wrk stopped is in neither.
    local seconds rd nd bd other ours
    seconds="$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b - a}')"
    rd=$((r1 - r0)); nd=$((n1 - n0)); bd=$((b1 - b0))
    ours="$(awk -v s=$((rd + nd + bd)) -v t="$TICKS" -v d="$seconds" -v k="$WRK_CPU" 'BEGIN{printf "%.0f", 100 * (s / t + k) / d}')"
    other=$((MACHINE_BUSY - ours))
    [ "$other" -le 15 ] || say "WARNING: $other% of a core went to processes outside the benchmark during $run"
    local share
    share="$(printf '%-18s %s %s%%  nginx %s%%  broker %s%%  wrk %s%%  other processes %s%%  (100%% = one core; over %ss)' \
        "$run" "$responder_name" "$(core_percent "$rd" "$seconds")" "$(core_percent "$nd" "$seconds")" \
        "$(core_percent "$bd" "$seconds")" \
        "$(awk -v k="$WRK_CPU" -v s="$seconds" 'BEGIN{printf "%.0f", 100 * k / s}')" "$other" "$seconds")"
    LAST_COST_TOTAL="$(micros_per "$((rd + nd + bd))" "$ok")"
    LAST_COST_RESPONDER="$(micros_per "$rd" "$ok")"
    LAST_OTHER="$other"
    case "$label" in
        *warmup*) ;;   # too short to mean much; its Kafka check still counts
        *) COST_LINES+=("$(printf '%-18s %10s %8s %8s %8s %9s' "$run" "$LAST_COST_RESPONDER" \
               "$(micros_per "$nd" "$ok")" "$(micros_per "$bd" "$ok")" "$LAST_COST_TOTAL" "$ok")")
           SHARE_LINES+=("$share") ;;
    esac

    local verdict
    if [ "$delta" -lt "$ok" ]; then
        verdict="FAIL: $((ok - delta)) acknowledged requests are NOT in Kafka"
        CHECK_FAILED=1
    elif [ "$delta" -gt $((ok + aborted)) ]; then
        verdict="FAIL: $((delta - ok - aborted)) events in Kafka that no request accounts for (duplicates?)"
        CHECK_FAILED=1
    elif [ "$delta" -eq "$ok" ]; then
        verdict="OK: exactly one event per 200"
    else
        verdict="OK: one event per 200, plus $((delta - ok)) of the $aborted aborted requests (produced, client gone)"
    fi
    KAFKA_LINES+=("$(printf '%-18s 200s in access log: %s; events added to %s: %s; wrk completed: %s; statuses: %s-> %s' \
        "$run" "$ok" "$topic" "$delta" "$REQUESTS" "$statuses" "$verdict")")
    say "kafka check: ${KAFKA_LINES[-1]}"
    [ "$unexpected" -eq 0 ] || say "unexpected statuses from $target: $statuses"
    LAST_ABORTED="$aborted"
}
