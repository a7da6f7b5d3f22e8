#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# blockwatch's benchmark suite: what watching costs the watched (and the
# host), and what blockwatch costs itself. Runs as root, on an otherwise
# quiet machine if you can; prints one markdown table to stdout and writes
# it to bench/results.md (with the machine it ran on). docs/bench.md says
# what each row measures and how to read it.
#
#   pipe     perf bench sched pipe (as is, and with both ends on CPU 0): untraced,
#            empty sched_switch program, empty sched_switch+sys_enter+sys_exit
#            programs, blockwatch -p of an unrelated process, blockwatch -a
#   mutex    bench/mutex_bench (contended pthread mutex, many short blocks):
#            the same, plus blockwatch -p of the benchmark itself
#   go       bench/go pingpong, spawn, httploop: untraced, blockwatch -p
#            (default: memory reads), blockwatch -p --go-probes
#   scale    10,000 parked threads, 1,000,000 parked goroutines, -a over
#            HOST_PROCS more processes: time to the first report, CPU per
#            scan and per minute, RSS, BPF map memory
#   cost     ns per run of each BPF program (kernel.bpf_stats_enabled=1,
#            run_time_ns/run_cnt from the programs' fdinfo), against empty
#            programs on the same attach points
#
# Rounds are interleaved (round r runs every mode once, in an order rotated
# by r) and the table gives medians. Knobs (environment):
#   ROUNDS=5 SECTIONS="pipe mutex go scale cost" BW=./blockwatch GO=/usr/bin/go
#   PIPE_WORKLOADS="pipe pipe1" PIPE_MODES="untraced empty empty_sys bw_other bw_other_fc bw_all"
#   PIPE_LOOPS=200000 MUTEX_OPS=500000 GO_MAX_TIME=1500ms SETTLE=1
#   NTHREADS=10000 GOROUTINES=1000000 HOST_PROCS=300 SCALE_ROUNDS=3 (0 skips that part
#   of the scale section: SECTIONS=scale GOROUTINES=0 runs the threads and host parts)
#   HOST_EXCLUDE=REGEX: the host case watches -a --exclude-comm REGEX (leave out
#   processes of others that would dominate, e.g. a million-goroutine target)
#   SCANS=10 (seconds watched at least, at one scan a second)
#   SCALE_WATCH=1 (0: the scale section times first reports only, no watching run)
#   BW_BASE=PATH: the pipe section also runs this other blockwatch -a (mode "baseline -a",
#   in the same rounds); the scale section's first reports also run it
#   (say, a build of the previous commit), interleaved round by round with BW, as
#   mode "baseline -p": the table's ratio is then BW against it on the same target
#   QUIET_BUSY=20 QUIET_WAIT=60: before each section, wait up to QUIET_WAIT s for
#   the host's CPUs to be less than QUIET_BUSY % busy (others' builds skew results)
#   RESULTS=bench/results.md WORK=/tmp/blockwatch-bench.PID (kept: logs, raw samples)
#
# usage: bash bench/run.sh      (or: make bench)
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
OUT=${OUT:-$ROOT/.output/bench}
ROUNDS=${ROUNDS:-5}
SECTIONS=${SECTIONS:-pipe mutex go scale cost}
GO=${GO:-/usr/bin/go}
PIPE_LOOPS=${PIPE_LOOPS:-200000}
PIPE_WORKLOADS=${PIPE_WORKLOADS:-pipe pipe1}
PIPE_MODES=${PIPE_MODES:-untraced empty empty_sys bw_other bw_other_fc bw_all}
MUTEX_OPS=${MUTEX_OPS:-500000}
GO_MAX_TIME=${GO_MAX_TIME:-1500ms}
SETTLE=${SETTLE:-1}
NTHREADS=${NTHREADS:-10000}
GOROUTINES=${GOROUTINES:-1000000}
HOST_PROCS=${HOST_PROCS:-300}
HOST_EXCLUDE=${HOST_EXCLUDE:-}
SCANS=${SCANS:-10}
SCALE_ROUNDS=${SCALE_ROUNDS:-3}
QUIET_BUSY=${QUIET_BUSY:-20}
QUIET_WAIT=${QUIET_WAIT:-60}
RESULTS=${RESULTS:-$BENCH/results.md}
WORK=${WORK:-/tmp/blockwatch-bench.$$}

SAMPLES=$WORK/samples.tsv
LOG=$WORK/log
PIDS=()     # every process this script started and has not reaped
STATS_WAS=
T_START=$(date +%s)

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# ---- process bookkeeping: only what we started, by pid ----------------------------

track() { PIDS+=("$1"); }
untrack() {
	local p keep=()
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}
# stop PID [SIG]: signal it, reap it (if it is our child), forget it.
stop() {
	[ -n "$1" ] || return 0
	{
		kill -"${2:-TERM}" "$1"
		wait "$1"
	} 2>/dev/null
	untrack "$1"
}
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "$STATS_WAS" ] && sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- setup --------------------------------------------------------------------------

[ "$(id -u)" = 0 ] || die "must run as root (loads BPF programs)"
mkdir -p "$WORK" || die "failed to create $WORK"
: >"$SAMPLES"
: >"$LOG"
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=0

need_pkgs=()
command -v perf >/dev/null || need_pkgs+=(linux-perf)
command -v bpftool >/dev/null || need_pkgs+=(bpftool)
command -v clang >/dev/null || need_pkgs+=(clang llvm)
[ -x /usr/bin/time ] || need_pkgs+=(time)
if [ ${#need_pkgs[@]} -gt 0 ]; then
	say "installing ${need_pkgs[*]}"
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${need_pkgs[@]}"; } >>"$LOG" 2>&1 ||
		die "failed to install ${need_pkgs[*]} (see $LOG)"
fi
perf bench sched pipe -l 1000 >/dev/null 2>&1 || die "failed to run perf bench (perf for this kernel?)"

# The binary under test is copied: colleagues may rebuild ./blockwatch meanwhile.
SCALE_WATCH=${SCALE_WATCH:-1}
BW_BASE_SRC=${BW_BASE:-}
BW_SRC=${BW:-$ROOT/blockwatch}
[ -x "$BW_SRC" ] || die "no $BW_SRC: run make first"
BW=$WORK/blockwatch
cp "$BW_SRC" "$BW" || die "failed to copy $BW_SRC"
BW_BASE=
if [ -n "$BW_BASE_SRC" ]; then
	BW_BASE=$WORK/blockwatch-base
	cp "$BW_BASE_SRC" "$BW_BASE" || die "failed to copy $BW_BASE_SRC"
fi
say "building the helpers into $OUT"
make -s -C "$BENCH" OUTPUT="$OUT" GO="$GO" >>"$LOG" 2>&1 || die "failed to build the helpers (see $LOG)"
EMPTY=$OUT/empty_switch
MUTEX=$OUT/mutex_bench
THREADS=$OUT/threads
GOBIN=$OUT/go

sleep 3600 &
IDLE_PID=$!
track "$IDLE_PID"

# cpu_busy: percent of the host's CPU time not idle over one second.
cpu_busy() {
	local a b
	a=$(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
	sleep 1
	b=$(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
		u = y[1] - x[1]; i = y[2] - x[2]; printf "%d", u + i ? 100 * u / (u + i) : 0 }'
}

# wait_quiet: up to QUIET_WAIT s for the host to be under QUIET_BUSY % busy; prints the last figure.
wait_quiet() {
	local t b
	for ((t = 0;; t++)); do
		b=$(cpu_busy)
		[ "$b" -le "$QUIET_BUSY" ] && break
		[ "$t" -ge "$QUIET_WAIT" ] && { say "host still ${b}% busy; measuring anyway"; break; }
	done
	echo "$b"
}

# ---- samples: one TSV line per measurement ------------------------------------------
# section  workload  mode  metric  value  unit
sample() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$SAMPLES"; }

# ---- tracers --------------------------------------------------------------------------

bpf_links() { ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'anon_inode:bpf_link'; }

# wait_links PID N: until PID holds N BPF links (20 s at most).
wait_links() {
	local i
	for ((i = 0; i < 400; i++)); do
		kill -0 "$1" 2>/dev/null || return 1
		[ "$(bpf_links "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

mode_label() {
	case $1 in
	untraced) echo "untraced" ;;
	empty) echo "empty sched_switch" ;;
	empty_sys) echo "empty switch+sys_enter+sys_exit" ;;
	empty_futex) echo "empty switch+sys_enter_futex" ;;
	empty_storage) echo "sched_switch, one task storage lookup" ;;
	bw_other) echo "blockwatch -p other" ;;
	bw_other_fc) echo "blockwatch -p other --futex-calls" ;;
	bw_all) echo "blockwatch -a" ;;
	bw_all_base) echo "baseline -a" ;;
	bw_target) echo "blockwatch -p target" ;;
	bw_probes) echo "blockwatch -p --go-probes" ;;
	esac
}

# snap_args BW: --snapshot-dir of this run for a blockwatch that has it (-a is
# meant to run with automatic snapshots on), nothing for one that has not.
snap_args() {
	"$1" --help 2>/dev/null | grep -q -- --snapshot-dir || return 0
	mkdir -p "$WORK/snapshots" && echo "--snapshot-dir $WORK/snapshots"
}

# tracer_start MODE TARGET_PID: sets TPID (empty when untraced), attached and settled.
TPID=
tracer_start() {
	local links
	TPID=
	case $1 in
	untraced) return 0 ;;
	empty) "$EMPTY" >/dev/null 2>>"$LOG" & links=1 ;;
	empty_sys) "$EMPTY" --syscalls >/dev/null 2>>"$LOG" & links=3 ;;
	empty_futex) "$EMPTY" --futex >/dev/null 2>>"$LOG" & links=2 ;;
	empty_storage) "$EMPTY" --storage >/dev/null 2>>"$LOG" & links=1 ;;
	# blockwatch: sched_switch, sched_process_exit, then the task iterator; the
	# futex entry programs with --futex-calls (2; 1 on a kernel with neither
	# fentry nor syscall tracepoints), the uprobes with --go-probes (2).
	bw_other) "$BW" -p "$IDLE_PID" --json >/dev/null 2>>"$LOG" & links=3 ;;
	bw_other_fc) "$BW" -p "$IDLE_PID" --futex-calls --json >/dev/null 2>>"$LOG" & links=4 ;;
	bw_all) "$BW" -a $(snap_args "$BW") --json >/dev/null 2>>"$LOG" & links=3 ;;
	bw_all_base) "$BW_BASE" -a $(snap_args "$BW_BASE") --json >/dev/null 2>>"$LOG" & links=3 ;;
	bw_target) "$BW" -p "$2" --json >/dev/null 2>>"$LOG" & links=3 ;;
	bw_probes) "$BW" -p "$2" --go-probes --json >/dev/null 2>>"$LOG" & links=5 ;;
	*) die "unknown mode $1" ;;
	esac
	TPID=$!
	track "$TPID"
	wait_links "$TPID" "$links" || { say "$1: not attached after 20 s (see $LOG)"; return 1; }
	sleep "$SETTLE" # past blockwatch's first scan
}

tracer_stop() {
	stop "$TPID"
	TPID=
}

# ---- workloads ---------------------------------------------------------------------------
# A gated workload starts, blocks reading a line from a FIFO, gets traced
# (blockwatch -p needs its pid, and must see the program, not the shell that
# execs it), then is let go.

# gated_start OUTFILE CMD...: sets WPID; the gate is fd 3.
WPID=
gated_start() {
	local outf=$1 exe i
	shift
	rm -f "$WORK/gate"
	mkfifo "$WORK/gate" || die "failed to create $WORK/gate"
	exec 3<>"$WORK/gate"
	"$@" <"$WORK/gate" >"$outf" 2>>"$LOG" &
	WPID=$!
	track "$WPID"
	exe=$(readlink -f "$1")
	for ((i = 0; i < 200; i++)); do
		[ "$(readlink "/proc/$WPID/exe" 2>/dev/null)" = "$exe" ] && return 0
		sleep 0.01
	done
	return 1
}

gated_go() {
	echo go >&3
	wait "$WPID"
	local rc=$?
	untrack "$WPID"
	exec 3>&-
	rm -f "$WORK/gate"
	return $rc
}

# measure SECTION WORKLOAD MODE: one run of WORKLOAD under MODE, one sample.
measure() {
	local section=$1 wl=$2 mode=$3 outf=$WORK/out.$2.$3 name cmd=() line
	case $wl in
	pipe | pipe1)
		# pipe1: both ends on one CPU, so every switch is on the round trip's
		# path and no wakeup crosses CPUs (the most sensitive of the two).
		[ "$wl" = pipe1 ] && cmd=(taskset -c 0) name="sched pipe, one CPU" || name="sched pipe"
		tracer_start "$mode" "" || return 1
		"${cmd[@]}" perf bench sched pipe -l "$PIPE_LOOPS" >"$outf" 2>>"$LOG"
		tracer_stop
		line=$(awk '/usecs\/op/ { print $1 }' "$outf")
		[ -n "$line" ] || { say "$wl/$mode: no result"; return 1; }
		sample "$section" "$name" "$(mode_label "$mode")" "round trip" "$line" "us/op"
		return 0
		;;
	mutex) name=mutex cmd=("$MUTEX" -n "$MUTEX_OPS" -w) ;;
	pingpong | spawn | httploop)
		name=$wl cmd=("$GOBIN/$wl" -n 1000000000 -max-time "$GO_MAX_TIME" -wait) ;;
	*) die "unknown workload $wl" ;;
	esac
	gated_start "$outf" "${cmd[@]}" || { say "$wl: did not start"; return 1; }
	if ! tracer_start "$mode" "$WPID"; then
		tracer_stop
		stop "$WPID" KILL
		exec 3>&-
		return 1
	fi
	gated_go || say "$wl/$mode: exit status $?"
	tracer_stop
	line=$(awk -v n="$name" '$1 == n { print $2, $3 }' "$outf")
	[ -n "$line" ] || { say "$wl/$mode: no result"; return 1; }
	sample "$section" "$wl" "$(mode_label "$mode")" "${line#* }" "${line% *}" "${line#* }"
	if [ "$wl" = mutex ]; then
		line=$(awk '$1 == "mutex_blocks" { print $2 }' "$outf")
		sample "$section" "$wl" "$(mode_label "$mode")" "blocks/op" "$line" "blocks/op"
	fi
}

# rounds SECTION WORKLOAD MODE...: ROUNDS interleaved rounds, order rotated per round.
rounds() {
	local section=$1 wl=$2 r i k
	shift 2
	local modes=("$@") n=$#
	for ((r = 0; r < ROUNDS; r++)); do
		for ((i = 0; i < n; i++)); do
			k=$(((i + r) % n))
			measure "$section" "$wl" "${modes[$k]}" || say "$wl/${modes[$k]}: round $r lost"
		done
	done
}

# ---- BPF program costs ---------------------------------------------------------------------

# prog_stats PID: "prog_id run_time_ns run_cnt" for each BPF program PID holds.
prog_stats() {
	local f
	for f in /proc/"$1"/fdinfo/*; do
		awk '$1 == "prog_id:" { id = $2 } $1 == "run_time_ns:" { t = $2 }
		     $1 == "run_cnt:" { c = $2 } END { if (id != "" && c != "") print id, t, c }' \
			"$f" 2>/dev/null
	done | sort -u
}

prog_name() { bpftool prog show id "$1" 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "name") { print $(i + 1); exit } }'; }

attach_point() {
	case $1 in
	empty_switch | sched_switch | storage_switch | hash_switch | array_switch) echo sched_switch ;;
	empty_sys_enter | futex_sys_enter) echo sys_enter ;;
	empty_sys_exit | futex_exit) echo sys_exit ;;
	empty_futex | futex_tp_enter) echo "sys_enter_futex (syscall tracepoint)" ;;
	futex_tp_waitv) echo "sys_enter_futex_waitv (syscall tracepoint)" ;;
	# futex_enter was the raw sys_enter program before the futex-only attach points.
	futex_enter) echo "futex_enter (fentry __x64_sys_futex; sys_enter in older builds)" ;;
	futex_waitv_ent) echo "fentry __x64_sys_futex_waitv" ;;
	sched_process_exit) echo "sched_process_exit (offcpu)" ;;
	futex_task_exit) echo "sched_process_exit (futex)" ;;
	dump_task) echo "task iterator (per task)" ;;
	*) echo "$1" ;;
	esac
}

# cost WORKLOAD MODE: runs WORKLOAD once under MODE with stats on; ns per run of each program.
cost() {
	local wl=$1 mode=$2 before=$WORK/stats.before after=$WORK/stats.after cmd=() outf id t c
	local t0 c0 name
	if [ "$wl" = pipe ]; then
		tracer_start "$mode" "" || return 1
		prog_stats "$TPID" >"$before"
		perf bench sched pipe -l "$PIPE_LOOPS" >/dev/null 2>>"$LOG"
	else
		case $wl in
		mutex) cmd=("$MUTEX" -n "$MUTEX_OPS" -w) ;;
		*) cmd=("$GOBIN/$wl" -n 1000000000 -max-time "$GO_MAX_TIME" -wait) ;;
		esac
		outf=$WORK/out.cost.$wl.$mode
		gated_start "$outf" "${cmd[@]}" || return 1
		tracer_start "$mode" "$WPID" || { tracer_stop; stop "$WPID" KILL; exec 3>&-; return 1; }
		prog_stats "$TPID" >"$before"
		gated_go
	fi
	prog_stats "$TPID" >"$after"
	while read -r id t c; do
		t0= c0=
		read -r t0 c0 < <(awk -v id="$id" '$1 == id { print $2, $3 }' "$before")
		[ -n "${c0:-}" ] && [ "$c" -gt "$c0" ] || continue
		name=$(prog_name "$id")
		sample cost "$([ "$wl" = pipe ] && echo "sched pipe" || echo "$wl")" \
			"$(mode_label "$mode")" "ns/run: $(attach_point "$name")" \
			"$(awk -v a="$t0" -v b="$t" -v x="$c0" -v y="$c" 'BEGIN { printf "%.1f", (b - a) / (y - x) }')" \
			"ns ($((c - c0)) runs)"
	done <"$after"
	tracer_stop
}

# ---- scale ----------------------------------------------------------------------------------

# map_memlock PID: bytes of BPF map memory PID holds (fdinfo memlock of its map fds).
map_memlock() {
	local f
	for f in /proc/"$1"/fdinfo/*; do
		awk '$1 == "map_id:" { m = 1 } $1 == "memlock:" { b = $2 } END { if (m) print b }' \
			"$f" 2>/dev/null
	done | awk '{ s += $1 } END { print s + 0 }'
}

# timed OUTFILE CMD...: runs CMD under /usr/bin/time; sets T_WALL (s), T_CPU (s), T_RSS (KiB)
timed() {
	local outf=$1 t0 t1
	shift
	t0=$(now)
	/usr/bin/time -f 'TIME %U %S %M' -o "$WORK/time" "$@" >"$outf" 2>>"$LOG"
	t1=$(now)
	T_WALL=$(elapsed "$t0" "$t1")
	read_time
}

# read_time: T_CPU (s) and T_RSS (KiB) from /usr/bin/time's file (which says first
# when the status was not 0: blockwatch exits 3 when it found a leak).
read_time() {
	T_CPU=$(awk '$1 == "TIME" { print $2 + $3 }' "$WORK/time")
	T_RSS=$(awk '$1 == "TIME" { print $4 }' "$WORK/time")
}

# pid_of_exe PATH: the process running PATH (our private copy of blockwatch).
pid_of_exe() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$1" ] && { echo "${p#/proc/}"; return 0; }
	done
	return 1
}

median() { sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# scale_target WORKLOAD ARGS...: ARGS pick the processes (-p PID or -a). First
# the time to the first report (one scan, threshold 1 s: everything is past it),
# SCALE_ROUNDS times; then a watching run at the default 1 s interval, long
# enough for several scans, which perf counts (bpf(BPF_ITER_CREATE) = one scan).
# The steady state is the watching run minus the one-scan run: CPU per scan =
# extra CPU / extra scans, CPU per minute = extra CPU / extra wall time.
scale_target() {
	local wl=$1 r walls=() cpus=() wall1 cpu1 dur t0 t1 mid bwpid maps scans
	shift
	for ((r = 0; r < SCALE_ROUNDS; r++)); do
		# With a baseline, odd rounds run it first: neither always meets a warmer cache.
		if [ -n "$BW_BASE" ] && [ $((r % 2)) = 1 ]; then
			scale_base "$wl" "$@"
		fi
		timed "$WORK/first.json" "$BW" "$@" -t 1s -d 1ms --json
		sample scale "$wl" "blockwatch $*" "first report (1 scan)" "$T_WALL" s
		sample scale "$wl" "blockwatch $*" "RSS, 1 scan" "$(mib "$T_RSS")" MiB
		sample scale "$wl" "blockwatch $*" "CPU, 1 scan" "$T_CPU" s
		walls+=("$T_WALL")
		cpus+=("$T_CPU")
		if [ -n "$BW_BASE" ] && [ $((r % 2)) = 0 ]; then
			scale_base "$wl" "$@"
		fi
	done
	say "$wl: the first report lists $(grep -c '"type":"thread"' "$WORK/first.json") threads," \
		"$(grep -c '"type":"go' "$WORK/first.json") Go lines"
	[ "$SCALE_WATCH" = 0 ] && return 0
	wall1=$(printf '%s\n' "${walls[@]}" | median)
	cpu1=$(printf '%s\n' "${cpus[@]}" | median)
	# A scan longer than the interval is followed by nine times its length of
	# rest: the window holds two such cycles (and the final scan at the deadline).
	dur=$(awk -v w="$wall1" -v n="$SCANS" 'BEGIN { d = int(20 * w) + 2; if (d < n) d = n;
		if (d > 120) d = 120; print d }')
	t0=$(now)
	perf stat -x, -e syscalls:sys_enter_bpf --filter 'cmd == 33' -o "$WORK/scans" -- \
		/usr/bin/time -f 'TIME %U %S %M' -o "$WORK/time" \
		"$BW" "$@" -t 1s -i 1s -d "${dur}s" --json >"$WORK/watch.json" 2>>"$LOG" &
	mid=$!
	track "$mid"
	sleep "$(awk -v d="$dur" 'BEGIN { print d / 2 + 0.5 }')"
	bwpid=$(pid_of_exe "$BW")
	maps=$(map_memlock "${bwpid:-0}")
	wait "$mid"
	untrack "$mid"
	t1=$(now)
	read_time
	scans=$(awk -F, '$3 ~ /sys_enter_bpf/ { print $1 }' "$WORK/scans")
	if [ "${scans:-0}" -gt 1 ]; then
		sample scale "$wl" "blockwatch $*" "CPU per scan" \
			"$(awk -v w="$T_CPU" -v o="$cpu1" -v n="$scans" 'BEGIN { d = (w - o) / (n - 1); printf "%.3f", d < 0 ? 0 : d }')" s
		sample scale "$wl" "blockwatch $*" "CPU per minute watching" \
			"$(awk -v w="$T_CPU" -v o="$cpu1" -v a="$(elapsed "$t0" "$t1")" -v b="$wall1" \
				'BEGIN { d = (w - o) / (a - b) * 60; printf "%.2f", d < 0 ? 0 : d }')" "s/min"
	else
		say "$wl: the watching run did ${scans:-no} scans"
	fi
	sample scale "$wl" "blockwatch $*" "scans in ${dur} s watching" "${scans:-0}" ""
	sample scale "$wl" "blockwatch $*" "RSS, watching" "$(mib "$T_RSS")" MiB
	sample scale "$wl" "blockwatch $*" "BPF map memory" \
		"$(awk -v b="$maps" 'BEGIN { printf "%.1f", b / 1048576 }')" MiB
}

# scale_base WORKLOAD ARGS...: one first report by the baseline blockwatch, the
# same verdict counts asked of it (a speedup that changed verdicts is no speedup).
scale_base() {
	local wl=$1 a b
	shift
	timed "$WORK/base.json" "$BW_BASE" "$@" -t 1s -d 1ms --json
	sample scale "$wl" "baseline $*" "first report (1 scan)" "$T_WALL" s
	sample scale "$wl" "baseline $*" "RSS, 1 scan" "$(mib "$T_RSS")" MiB
	sample scale "$wl" "baseline $*" "CPU, 1 scan" "$T_CPU" s
	[ -s "$WORK/first.json" ] || return 0
	a=$(grep -o '"verdict":"[a-z]*"' "$WORK/first.json" | sort | uniq -c | tr -s ' \n' ' ')
	b=$(grep -o '"verdict":"[a-z]*"' "$WORK/base.json" | sort | uniq -c | tr -s ' \n' ' ')
	[ "$a" = "$b" ] || say "$wl: verdicts differ from the baseline's: $a / $b"
}

# wait_ready FILE WORD SECONDS: until FILE has a line with WORD.
wait_ready() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

rss_of() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null; }

section_scale() {
	local pid i procs=() before
	if [ "$NTHREADS" -gt 0 ]; then
		say "scale: $NTHREADS parked threads"
		"$THREADS" -n "$NTHREADS" >"$WORK/threads.out" 2>>"$LOG" &
		pid=$!
		track "$pid"
		if wait_ready "$WORK/threads.out" ready 60; then
			sleep 2 # every thread past the 1 s threshold: all are reported and unwound
			scale_target "$NTHREADS threads" -p "$pid"
		else
			say "threads: not ready in 60 s"
		fi
		stop "$pid" KILL
	fi

	if [ "$GOROUTINES" -gt 0 ]; then
		say "scale: $GOROUTINES parked goroutines"
		"$GOBIN/million" -n "$GOROUTINES" >"$WORK/million.out" 2>>"$LOG" &
		pid=$!
		track "$pid"
		if wait_ready "$WORK/million.out" ready 120; then
			sleep 2
			sample scale "$GOROUTINES goroutines" "(target itself)" "target RSS" \
				"$(rss_of "$pid")" MiB
			scale_target "$GOROUTINES goroutines" -p "$pid"
		else
			say "million: not ready in 120 s"
		fi
		stop "$pid" KILL
	fi

	[ "$HOST_PROCS" -gt 0 ] || return 0
	say "scale: -a over $HOST_PROCS more processes"
	before=$(ls -d /proc/[0-9]* | wc -l)
	for ((i = 0; i < HOST_PROCS; i++)); do
		case $((i % 10)) in
		0) "$GOBIN/million" -n 1000 >/dev/null 2>&1 & ;;
		1 | 2) "$THREADS" -n 4 >/dev/null 2>&1 & ;;
		*) sleep 3600 & ;;
		esac
		procs+=($!)
		track $!
	done
	sleep 3
	sample scale "host, $(ls -d /proc/[0-9]* | wc -l) processes" "(host)" "processes before ours" "$before" ""
	if [ -n "$HOST_EXCLUDE" ]; then
		scale_target "host, $(ls -d /proc/[0-9]* | wc -l) processes" -a \
			--exclude-comm "$HOST_EXCLUDE"
	else
		scale_target "host, $(ls -d /proc/[0-9]* | wc -l) processes" -a
	fi
	{
		for pid in "${procs[@]}"; do kill -KILL "$pid"; done
		for pid in "${procs[@]}"; do wait "$pid"; done
	} 2>/dev/null
	for pid in "${procs[@]}"; do untrack "$pid"; done
}

# ---- the table ----------------------------------------------------------------------------

# Targets: section, workload, mode, metric, kind, bound.
#   ratio   median / baseline median at most bound
#   within  median inside the baseline's [min, max] ("indistinguishable")
#   within_empty  the same against the empty sched_switch program: on one CPU
#           every switch is on the path and no sched_switch program, even
#           an empty one, is within untraced noise
#   floor   median / the empty sched_switch program's median at most bound: the
#           cost of blockwatch over the least any sched_switch program costs
#   max     median at most bound (absolute, in the row's unit)
TARGETS=$WORK/targets.tsv
cat >"$TARGETS" <<EOF
pipe	sched pipe	blockwatch -a	round trip	floor	1.05
pipe	sched pipe	baseline -a	round trip	floor	1.05
pipe	sched pipe	blockwatch -p other	round trip	within	0
pipe	sched pipe, one CPU	blockwatch -a	round trip	floor	1.05
pipe	sched pipe, one CPU	baseline -a	round trip	floor	1.05
pipe	sched pipe, one CPU	blockwatch -p other	round trip	within_empty	0
go	pingpong	blockwatch -p target	ns/op	ratio	1.05
go	httploop	blockwatch -p target	requests/s	ratio	1.05
go	spawn	blockwatch -p target	ns/op	ratio	1.10
scale	$GOROUTINES goroutines	blockwatch -p	first report (1 scan)	max	10
scale	$GOROUTINES goroutines	blockwatch -p	RSS, watching	max	500
scale	$GOROUTINES goroutines	blockwatch -p	RSS, 1 scan	max	500
scale	$NTHREADS threads	blockwatch -p	first report (1 scan)	max	2
cost	sched pipe	blockwatch -a	ns/run: sched_switch	ratio	2
cost	sched pipe	blockwatch -p other	ns/run: sched_switch	ratio	2
cost	mutex	blockwatch -p target	ns/run: sched_switch	ratio	2
cost	mutex	blockwatch -a	ns/run: sched_switch	ratio	2
EOF

render_table() {
	awk -F'\t' -v targets="$TARGETS" '
	function median(key,   n, i, j, t, a) {
		n = cnt[key]
		for (i = 1; i <= n; i++) a[i] = val[key, i]
		for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
		lo[key] = a[1]; hi[key] = a[n]
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function fmt(v) { return v >= 100 ? sprintf("%.0f", v) : v >= 10 ? sprintf("%.1f", v) : sprintf("%.3g", v) }
	BEGIN {
		while ((getline line < targets) > 0) {
			split(line, f, "\t")
			tk = f[1] SUBSEP f[2] SUBSEP f[3] SUBSEP f[4]
			tkind[tk] = f[5]; tbound[tk] = f[6]
		}
	}
	{
		# Modes of the scale section carry the pid: match targets on "blockwatch -p".
		mode = $3; sub(/ [0-9]+$/, "", mode)
		key = $1 SUBSEP $2 SUBSEP mode SUBSEP $4
		if (!(key in cnt)) { order[++nk] = key; unit[key] = $6 }
		cnt[key]++; val[key, cnt[key]] = $5
	}
	END {
		print "| section | workload | mode | metric | median | min–max | n | vs baseline | target | met |"
		print "|---|---|---|---|---:|---:|---:|---:|---|---|"
		for (i = 1; i <= nk; i++) med[order[i]] = median(order[i])
		for (i = 1; i <= nk; i++) {
			k = order[i]; split(k, p, SUBSEP)
			base = ""
			if (p[1] == "pipe" || p[1] == "mutex" || p[1] == "go") base = p[1] SUBSEP p[2] SUBSEP "untraced" SUBSEP p[4]
			if (p[1] == "scale" && p[3] ~ /^blockwatch/) {
				b = p[3]; sub(/^blockwatch/, "baseline", b)
				if ((p[1] SUBSEP p[2] SUBSEP b SUBSEP p[4]) in med) base = p[1] SUBSEP p[2] SUBSEP b SUBSEP p[4]
			}
			if (p[1] == "cost") {
				if (p[3] ~ /^empty/) base = ""
				else if (p[1] SUBSEP p[2] SUBSEP "empty switch+sys_enter+sys_exit" SUBSEP p[4] in med)
					base = p[1] SUBSEP p[2] SUBSEP "empty switch+sys_enter+sys_exit" SUBSEP p[4]
				else if (p[1] SUBSEP p[2] SUBSEP "empty switch+sys_enter_futex" SUBSEP p[4] in med)
					base = p[1] SUBSEP p[2] SUBSEP "empty switch+sys_enter_futex" SUBSEP p[4]
			}
			ratio = ""
			if (base != "" && base != k && (base in med) && med[base] > 0 && med[k] > 0) {
				r = med[k] / med[base]
				if (unit[k] ~ /\/s$/) r = 1 / r   # a rate: slowdown is base / traced
				ratio = sprintf("%.3fx", r)
			}
			tgt = ""; met = ""
			if (k in tkind) {
				if (tkind[k] == "ratio") {
					tgt = "≤ " tbound[k] "x"
					met = ratio == "" ? "?" : (r <= tbound[k] ? "yes" : "**NO**")
				} else if (tkind[k] == "max") {
					tgt = "≤ " tbound[k] " " unit[k]
					met = med[k] <= tbound[k] ? "yes" : "**NO**"
				} else if (tkind[k] == "within") {
					tgt = "within untraced min–max"
					met = (base in med) && med[k] >= lo[base] && med[k] <= hi[base] ? "yes" : "**NO**"
				} else if (tkind[k] == "floor") {
					e = p[1] SUBSEP p[2] SUBSEP "empty sched_switch" SUBSEP p[4]
					if ((e in med) && med[e] > 0) {
						fr = med[k] / med[e]
						tgt = sprintf("%.3fx of empty sched_switch, ≤ %sx", fr, tbound[k])
						met = fr <= tbound[k] ? "yes" : "**NO**"
					} else {
						tgt = "≤ " tbound[k] "x of empty sched_switch"; met = "?"
					}
				} else if (tkind[k] == "within_empty") {
					e = p[1] SUBSEP p[2] SUBSEP "empty sched_switch" SUBSEP p[4]
					tgt = "within empty sched_switch min–max"
					met = (e in med) && med[k] >= lo[e] && med[k] <= hi[e] ? "yes" : "**NO**"
				}
			}
			u = unit[k]
			printf "| %s | %s | %s | %s | %s %s | %s–%s | %d | %s | %s | %s |\n", p[1], p[2], p[3], p[4],
				fmt(med[k]), u, fmt(lo[k]), fmt(hi[k]), cnt[k], ratio, tgt, met
		}
	}' "$SAMPLES"
}

machine() {
	local model
	model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	echo "- machine: $(nproc) CPUs, ${model:-unknown CPU}, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
	echo "- kernel: $(uname -r) ($(uname -v))"
	echo "- blockwatch: $(cd "$ROOT" && git describe --always --dirty 2>/dev/null || echo unknown), $("$BW" --version 2>/dev/null)"
	echo "- $(perf --version), $("$GO" version 2>/dev/null | cut -d' ' -f3) for the Go benchmarks"
	echo "- rounds: $ROUNDS interleaved (pipe $PIPE_LOOPS loops, mutex $MUTEX_OPS ops, Go $GO_MAX_TIME each), scale: $SCALE_ROUNDS first reports, watched ≥ $SCANS s"
	echo "- load average before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg);" \
		"host CPU busy (others) before each section:${BUSY%,}"
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), suite took $(($(date +%s) - T_START)) s," \
		"CPU stolen by the hypervisor meanwhile: $(awk -v a="$STEAL_BEFORE" -v b="$(steal_ticks)" \
			-v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f s", (b - a) / hz }')"
}

# ---- run ------------------------------------------------------------------------------------

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# CPU time the hypervisor gave to others (steal, /proc/stat): a noisy host shows here.
steal_ticks() { awk '$1 == "cpu" { print $9; exit }' /proc/stat; }
STEAL_BEFORE=$(steal_ticks)
BUSY=""
for s in $SECTIONS; do
	b=$(wait_quiet)
	BUSY="$BUSY $s ${b}%,"
	say "section $s ($(($(date +%s) - T_START)) s so far, host ${b}% busy)"
	case $s in
	pipe)
		for wl in $PIPE_WORKLOADS; do
			# shellcheck disable=SC2086 # a list of modes
			rounds pipe "$wl" $PIPE_MODES $([ -n "$BW_BASE" ] && echo bw_all_base)
		done
		;;
	mutex) rounds mutex mutex untraced empty empty_sys bw_other bw_all bw_target ;;
	go)
		for wl in pingpong spawn httploop; do
			rounds go "$wl" untraced bw_target bw_probes
		done
		;;
	scale) section_scale ;;
	cost)
		sysctl -qw kernel.bpf_stats_enabled=1
		cost pipe empty_sys
		cost pipe empty_futex
		cost pipe bw_other
		cost pipe bw_other_fc
		cost pipe bw_all
		cost mutex empty_sys
		cost mutex empty_futex
		cost mutex bw_target
		cost mutex bw_all
		cost pingpong bw_probes
		sysctl -qw kernel.bpf_stats_enabled=0
		;;
	*) say "unknown section $s" ;;
	esac
done

{
	echo "# blockwatch benchmarks"
	echo
	machine
	echo
	render_table
	echo
	echo "Medians of interleaved rounds; \"vs baseline\" is the slowdown against the untraced run"
	echo "(time per op traced / untraced; for rates untraced / traced), or for BPF costs the"
	echo "ns per run against the empty program on the same attach point. See docs/bench.md."
} >"$WORK/results.md"
cp "$WORK/results.md" "$RESULTS"
cat "$WORK/results.md"
say "done in $(($(date +%s) - T_START)) s; raw samples and logs in $WORK"
