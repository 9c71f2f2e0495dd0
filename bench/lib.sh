# Shared by the benchmarks (bench/run, bench/sink): messages, stopping what a run started,
# CPU accounting from /proc, and a fresh release stack in a run directory of its own.
# Sourced, not run. The including script sets ROOT, RUN, OUT, STACK_ENV and BENCH_NAME, and
# defines its own cleanup; `in_background` records the running child in CHILD_PID.

say() { echo "$BENCH_NAME: $*" >&2; }
die() { echo "$BENCH_NAME: $*" >&2; exit 1; }

stop_process() { # stop_process PID SIGNAL: signal, wait up to 10 s, then KILL
    local pid=$1 signal=$2
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill "-$signal" "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}

# Runs a long step in the background and waits, so that Ctrl-C/TERM stop it at once
# (bash runs traps only between foreground commands).
CHILD_PID=""
in_background() {
    "$@" &
    CHILD_PID=$!
    local status=0
    wait "$CHILD_PID" || status=$?
    CHILD_PID=""
    return "$status"
}

# remove_run_dir: stops a stack a killed run left in $RUN and deletes $RUN, including the
# PostgreSQL data the stack keeps outside it when running as root.
remove_run_dir() {
    [ -d "$RUN" ] || return 0
    say "removing the previous $RUN"
    env "${STACK_ENV[@]}" "$ROOT/scripts/stack" down >/dev/null 2>&1 || true
    if [ -L "$RUN/pg" ]; then
        local target
        target="$(readlink -f "$RUN/pg")"
        case "$target" in /var/lib/button-stack/?*) rm -rf "$target" ;; esac
    fi
    rm -rf "$RUN"
}

# build_release: the stack's own release build (what `scripts/stack up` runs), unless
# BENCH_SKIP_BUILD=1 (`swift build` waits while another SwiftPM holds .build).
# (BENCH_BUILD=debug: create_topic runs the debug button-broker; for trying a script only.)
build_release() {
    if [ "${BENCH_SKIP_BUILD:-}" = 1 ]; then
        say "BENCH_SKIP_BUILD=1: using the release binaries in .build/release as they are"
        return 0
    fi
    say "building release (log: $OUT/build.log)"
    in_background env BUTTON_BUILD=release BUTTON_RUN_DIR="$OUT/build-run" "$ROOT/scripts/stack" build >"$OUT/build.log" 2>&1 \
        || die "release build failed:"$'\n'"$(tail -20 "$OUT/build.log")"
}

cpu_ticks() { # cpu_ticks PID...: utime+stime of those processes (all their threads), clock ticks
    local total=0 pid
    for pid in "$@"; do
        [ -r "/proc/$pid/stat" ] || continue
        total=$((total + $(sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
    done
    echo "$total"
}
children_of() { { ps -o pid= --ppid "$1" || true; } | tr -d ' '; }   # ps fails when there are none
TICKS="$(getconf CLK_TCK)"
core_percent() { # core_percent TICKS SECONDS → % of one core
    awk -v d="$1" -v t="$TICKS" -v s="$2" 'BEGIN{printf "%.0f", 100 * d / t / s}'
}
micros_per() { # micros_per TICKS COUNT → µs of CPU per item
    awk -v d="$1" -v t="$TICKS" -v n="$2" 'BEGIN{if (n > 0) printf "%.1f", 1e6 * d / t / n; else printf "-"}'
}
# "busy total" jiffies of the whole machine (all cores) from /proc/stat.
machine_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
busy_percent() { # busy_percent "BUSY0 TOTAL0" "BUSY1 TOTAL1" → % of one core (200 = 2 cores)
    awk -v a="$1" -v b="$2" -v n="$(nproc)" 'BEGIN{split(a, x, " "); split(b, y, " ");
        t = y[2] - x[2]; printf "%.0f", (t > 0) ? 100 * n * (y[1] - x[1]) / t : 0}'
}

to_ms() { # wrk latency ("227.00us", "1.02ms", "1.50s") → milliseconds
    awk -v v="$1" 'BEGIN{
        n = v + 0
        if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n = n * 60000; else if (v ~ /s$/) n = n * 1000
        printf "%.3f", n }'
}

# idle_check: how busy the machine is with nothing of ours under load (other sessions,
# builds and tests skew every figure), into IDLE_BUSY, with a warning above 10%.
idle_check() {
    local m0
    m0="$(machine_ticks)"; sleep 2
    IDLE_BUSY="$(busy_percent "$m0" "$(machine_ticks)")"
    say "machine busy before the load phase (nothing of ours under load): $IDLE_BUSY% of one core; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    [ "$IDLE_BUSY" -le 10 ] || say "WARNING: something else is using the CPU; the figures will be low and noisy"
}

# enter_session: one POST /api/enter as $XFF on $APP_URL, then one press with its cookie,
# into COOKIE ("button_session=…"): the steady state of a visitor is enter once, then press.
enter_session() {
    local headers status place
    headers="$(curl -sS -D - -o "$OUT/enter-body.html" -X POST -H 'HX-Request: true' \
        -H "X-Forwarded-For: $XFF" "$APP_URL/api/enter")" || die "POST /api/enter failed"
    echo "$headers" | head -1 | grep -q ' 200' || die "POST /api/enter: $(echo "$headers" | head -1)"
    COOKIE="$(echo "$headers" | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(button_session=[^;]*\).*/\1/p' | head -1)"
    [ -n "$COOKIE" ] || die "POST /api/enter set no button_session cookie"
    place="$(sed -n 's/.*Pressing from: \([^<]*\)<.*/\1/p' "$OUT/enter-body.html")"
    say "session for $XFF located at: ${place:-?}"
    status="$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'HX-Request: true' -H "X-Forwarded-For: $XFF" \
        -H "Cookie: $COOKIE" "$APP_URL/api/press")"
    [ "$status" = 200 ] || die "a single press answers $status, not 200"
}

# --- the bench stack's Kafka (after the stack is up: RUN/stack.env, KAFKA_BOOTSTRAP,
# BROKER_CONTROL) ---------------------------------------------------------------------

env_value() { sed -n "s/^$1=//p" "$RUN/stack.env"; }   # env_value KEY: from the stack's stack.env

# partitions_of TOPIC: the partition numbers kcat -L reports for TOPIC.
partitions_of() {
    kcat -b "$KAFKA_BOOTSTRAP" -L -t "$1" 2>/dev/null | sed -n 's/^ *partition \([0-9]*\),.*/\1/p'
}

# topic_offsets TOPIC [WHICH]: the sum over TOPIC's partitions of their last offsets (-1, the
# default: the high watermarks, i.e. the events written, every message being one event) or
# first offsets (-2: the local broker drops a partition's oldest messages beyond 5 MB, so a
# benchmark that must see all it wrote checks this is 0).
topic_offsets() {
    local topic=$1 which=${2:--1} partitions out
    partitions="$(partitions_of "$topic")"
    [ -n "$partitions" ] || { echo "kcat -L found no partitions of $topic" >&2; return 1; }
    out="$(kcat -b "$KAFKA_BOOTSTRAP" -Q $(for p in $partitions; do printf -- '-t %s:%s:%s ' "$topic" "$p" "$which"; done) 2>&1)" \
        || { echo "kcat -Q failed: $out" >&2; return 1; }
    echo "$out" | awk '/ offset /{for(i=1;i<=NF;i++) if($i=="offset") s+=$(i+1); n++} END{if(n==0) exit 1; print s}'
}

# create_topic TOPIC PARTITIONS: through the broker's control socket (the local broker, the
# mock cluster, does not implement CreateTopics).
create_topic() {
    local reply
    reply="$("$ROOT/.build/${BENCH_BUILD:-release}/button-broker" ctl --control "$BROKER_CONTROL" create "$1" "$2" 2>&1)" \
        || die "cannot create $1 through the broker's control socket: $reply"
}

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b - a}'; }   # elapsed T0 T1 (date +%s.%N)

# check OK_WHEN_TRUE MESSAGE: reports an exactly-once check; CHECK_FAILED=1 when one failed.
CHECK_FAILED=0
check() {
    if [ "$1" = 1 ]; then say "check ok: $2"; else say "CHECK FAILED: $2"; CHECK_FAILED=1; fi
}
