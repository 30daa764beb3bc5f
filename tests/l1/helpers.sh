# Scenario helpers for the test host (L1, or this machine in local mode).
# Sourced by every harness command. $V is the /vmm tree, $T a scratch directory.
# Output meant for the harness is on lines starting with "@".
#
# A "session" is one process (normally `vmm run`) started under `l1util spawn`
# with its files in $T/s/NAME/: in (FIFO = its stdin, kept open by the
# supervisor), out, err, status ("status: exit N ms=T" once it ended), pid, cwd/.

PEER="$V/peer/lib/ld-linux-aarch64.so.1 --library-path $V/peer/lib $V/peer/bin/qemu-system-aarch64"

_gs() { _d=$T/s/$1; }

# gs_start NAME CMD ARGS...: starts a session; prints "@pid PID".
gs_start() {
	_gs "$1"; shift
	rm -rf "$_d"
	mkdir -p "$_d/cwd" || return 1
	mkfifo "$_d/in" || return 1
	printf '%s\n' "$*" > "$_d/cmdline"
	_p=$(cd "$_d/cwd" && l1util spawn -i "$_d/in" -o "$_d/out" -e "$_d/err" -s "$_d/status" \
		-P "$_d/pid" -- "$@") || return 1
	echo "@pid $_p"
}

# gs_start_stalled NAME CMD ARGS...: like gs_start, but stdout is a pipe whose
# reader copies lines to $_d/out until GUEST-READY, then keeps the pipe open and
# never reads again (a stalled console reader). gs_stop_reader NAME ends it.
gs_start_stalled() {
	_gs "$1"; shift
	rm -rf "$_d"
	mkdir -p "$_d/cwd" || return 1
	mkfifo "$_d/in" "$_d/pipe" || return 1
	: > "$_d/out"
	printf '%s\n' "$*" > "$_d/cmdline"
	(
		exec 3<"$_d/pipe"
		while IFS= read -r _l <&3; do
			printf '%s\n' "$_l" >> "$_d/out"
			case $_l in *GUEST-READY*) break ;; esac
		done
		echo "@reader stalled" >> "$_d/out"
		exec sleep 100000
	) </dev/null >/dev/null 2>&1 &
	echo $! > "$_d/reader"
	_p=$(cd "$_d/cwd" && l1util spawn -i "$_d/in" -o "$_d/pipe" -e "$_d/err" -s "$_d/status" \
		-P "$_d/pid" -- "$@") || return 1
	echo "@pid $_p"
}

gs_stop_reader() { _gs "$1"; kill "$(cat "$_d/reader")" 2>/dev/null; echo "@stopped"; }

gs_pid() { cat "$T/s/$1/pid" 2>/dev/null; }

# gs_threads NAME: a line per thread of the session's process (name, state, CPU ticks,
# where it waits in the kernel, its syscall) and the top of its kernel stack, for a
# process that stopped making progress.
gs_threads() {
	_p=$(gs_pid "$1")
	for _t in /proc/"$_p"/task/*; do
		[ -d "$_t" ] || continue
		echo "@thread ${_t##*/} $(cat "$_t/comm" 2>/dev/null) state=$(cut -d' ' -f3 "$_t/stat" 2>/dev/null)" \
			"ticks=$(cut -d' ' -f14,15 "$_t/stat" 2>/dev/null | tr ' ' '+') wchan=$(cat "$_t/wchan" 2>/dev/null)" \
			"syscall=$(cut -d' ' -f1-3 "$_t/syscall" 2>/dev/null)"
		head -n 4 "$_t/stack" 2>/dev/null | sed 's/^/@stack   /'
	done
}

# gs_status NAME: "@status running" or "@status exit N ms=T" / "@status signal N[ core] ms=T".
gs_status() {
	_gs "$1"
	if [ -f "$_d/status" ]; then
		sed 's/^status:/@status/' "$_d/status"
	else
		echo "@status running"
	fi
}

# gs_wait NAME PATTERN TIMEOUT_MS [COUNT]: waits for the COUNTth console line
# containing PATTERN; prints "@line ..." or, if the process ended, its status.
gs_wait() {
	_gs "$1"
	_l=$(l1util wait -n "${4:-1}" -p "$(gs_pid "$1")" "$_d/out" "$2" "$3")
	_rc=$?
	[ $_rc -eq 0 ] && echo "@line $_l"
	if [ $_rc -eq 2 ]; then
		l1util wait "$_d/status" status: 3000 > /dev/null
		gs_status "$1"
	fi
	return $_rc
}

# gs_send NAME TEXT: one line to the guest console.
gs_send() {
	_gs "$1"
	printf '%s\n' "$2" | l1util put "$_d/in"
}

# gs_cmd NAME N TIMEOUT_MS CMD: runs CMD in the guest shell between markers
# __B_N_ and __E_N_<status>; prints the console lines from marker to marker.
# The quotes split the markers so that an echoing console cannot fake them.
gs_cmd() {
	_gs "$1"
	printf 'echo __B""_%s_\n%s\necho __E""_%s_$?\n' "$2" "$4" "$2" | l1util put "$_d/in" || return 3
	gs_wait "$1" "__E_$2_" "$3" > /dev/null || { _rc=$?; gs_status "$1"; return $_rc; }
	sed -n "/__B_$2_/,/__E_$2_/p" "$_d/out"
}

# gs_wait_exit NAME TIMEOUT_MS: waits for the process to end; prints its status.
gs_wait_exit() {
	_gs "$1"
	l1util wait "$_d/status" status: "$2" > /dev/null
	_rc=$?
	gs_status "$1"
	return $_rc
}

# gs_kill NAME SIGNAL
gs_kill() { kill -"$2" "$(gs_pid "$1")"; }

# gs_stop NAME: SIGTERM, 10 s grace, then SIGKILL; prints the status.
gs_stop() {
	_gs "$1"
	[ -f "$_d/pid" ] || return 0
	if [ ! -f "$_d/status" ]; then
		kill -TERM "$(gs_pid "$1")" 2>/dev/null
		if ! l1util wait "$_d/status" status: 10000 > /dev/null 2>&1; then
			kill -KILL "$(gs_pid "$1")" 2>/dev/null
			l1util wait "$_d/status" status: 5000 > /dev/null 2>&1
		fi
	fi
	gs_status "$1"
}

# gs_cores NAME: "@core FILE" for each core dump the session's process left.
gs_cores() {
	_gs "$1"
	_p=$(gs_pid "$1")
	for _c in "$_d"/cwd/core* "$T"/cores/core.*."$_p"; do
		[ -e "$_c" ] && echo "@core $_c"
	done
	return 0
}

# gs_file NAME out|err|status|cmdline [LINES]: a session file (its tail).
gs_file() {
	_gs "$1"
	[ -f "$_d/$2" ] || return 1
	if [ -n "$3" ]; then tail -n "$3" "$_d/$2"; else cat "$_d/$2"; fi
}

# gs_tail NAME LINES: what a failure report shows about a session.
gs_tail() {
	_gs "$1"
	[ -d "$_d" ] || return 0
	echo "@section $1: command"
	cat "$_d/cmdline"
	echo "@section $1: $(gs_status "$1" | sed 's/^@//')"
	for _f in out err; do
		if [ -s "$_d/$_f" ]; then
			echo "@section $1: $([ $_f = out ] && echo console || echo stderr) (last $2 lines)"
			tail -n "$2" "$_d/$_f"
		else
			echo "@section $1: $([ $_f = out ] && echo console || echo stderr): empty"
		fi
	done
}

# run_once NAME TIMEOUT_MS CMD ARGS...: runs CMD to completion (stdin /dev/null);
# kills it if it outlives TIMEOUT_MS. Prints @status, @timeout, @core and its
# stderr as "@err ..." lines.
run_once() {
	_n=$1 _t=$2; shift 2
	_gs "$_n"
	rm -rf "$_d"
	mkdir -p "$_d/cwd" || return 1
	printf '%s\n' "$*" > "$_d/cmdline"
	(cd "$_d/cwd" && l1util spawn -i /dev/null -o "$_d/out" -e "$_d/err" -s "$_d/status" \
		-P "$_d/pid" -- "$@") > /dev/null || return 1
	if ! l1util wait "$_d/status" status: "$_t" > /dev/null 2>&1; then
		echo "@timeout"
		gs_stop "$_n" > /dev/null
	fi
	gs_status "$_n"
	gs_cores "$_n"
	sed 's/^/@err /' "$_d/err"
}

# procs NAME: "@proc PID STATE" for every process called NAME (comm or exe).
procs() { l1util pgrep "$1" | sed 's/^/@proc /'; return 0; }

# ttl LOG TIMEOUT_MS CMD ARGS...: ms from exec to the guest's GUEST-INIT line.
ttl() {
	_log=$1 _t=$2; shift 2
	mkdir -p "$(dirname "$_log")"
	l1util time-to-line -l "$_log" GUEST-INIT "$_t" -- "$@"
}

# ttfb LOG TIMEOUT_MS CMD ARGS...: ms from exec to the first byte on CMD's stdout (the guest console).
ttfb() {
	_log=$1 _t=$2; shift 2
	mkdir -p "$(dirname "$_log")"
	l1util time-to-line -b -l "$_log" - "$_t" -- "$@"
}

# host_info: one line about the test host.
host_info() {
	echo "@host kernel=$(uname -r) cpus=$(nproc) kvm=$([ -c /dev/kvm ] && echo yes || echo no)" \
		"mem_mb=$(($(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo) / 1024))"
}
