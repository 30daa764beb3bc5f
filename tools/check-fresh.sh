#!/usr/bin/env bash
# make check-fresh: the README's commands on a brand-new Debian machine.
#
# Builds a minimal Debian root (debootstrap --variant=minbase, from this machine's
# own apt sources: no archive address is written here) in a scratch directory
# outside the clone, copies a clean clone of the committed project into it, and
# inside a chroot runs the README's test command as root:
#
#     tools/setup.sh && make check          (FRESH_TIER=unit: tools/setup.sh && make all check-unit check-unit-tsan)
#
# Prints `PASS fresh-setup` or `FAIL fresh-setup: <why>` and the summary line, and
# removes the root (mounts and processes included) on every exit, interrupted too.
#
#   FRESH_TIER=check|unit      what to run inside (default: check, which includes the integration tier)
#   FRESH_KEEP=1               keep the root for inspection (printed); mounts are still undone
#   FRESH_DIR=DIR              parent of the scratch root (default: /var/tmp)
set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
TIER=${FRESH_TIER:-check}
PARENT=${FRESH_DIR:-/var/tmp}
ROOT=
START=$(date +%s)
LOG=

say() { printf 'check-fresh: %s\n' "$*" >&2; }

elapsed() { echo "$(( $(date +%s) - START )) s"; }

result() { # 0|1 why
	if [ "$1" -eq 0 ]; then
		echo "PASS fresh-setup ($(elapsed))"
		echo "1 passed, 0 failed"
	else
		echo "FAIL fresh-setup: $2 ($(elapsed))"
		echo "0 passed, 1 failed"
	fi
}

# Ends every process whose root is the scratch root, then undoes its mounts.
teardown() {
	[ -n "$ROOT" ] && [ -d "$ROOT" ] || return 0
	local p r i
	for i in 1 2 3; do
		for p in /proc/[0-9]*; do
			r=$(readlink "$p/root" 2>/dev/null) || continue
			case "$r" in "$ROOT"|"$ROOT"/*) kill -9 "${p#/proc/}" 2>/dev/null;; esac
		done
		sleep 0.2
	done
	# Deepest first.
	awk -v r="$ROOT" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	if awk -v r="$ROOT" 'index($2, r) == 1 { f = 1 } END { exit !f }' /proc/self/mounts; then
		say "mounts under $ROOT remain; not removing it"
		return 0
	fi
	if [ "${FRESH_KEEP:-0}" = 1 ]; then
		say "kept $ROOT"
	else
		rm -rf --one-file-system "$ROOT"
	fi
}

on_signal() {
	trap - INT TERM
	say "interrupted"
	teardown
	result 1 "interrupted"
	exit 130
}
trap on_signal INT TERM
trap teardown EXIT

fail() { result 1 "$1"; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap and chroot)"
case "$TIER" in check|unit) ;; *) fail "FRESH_TIER must be check or unit, not '$TIER'";; esac

# debootstrap and git are named by setup (host step); make sure they are here.
"$REPO/tools/setup.sh" host >&2 || fail "tools/setup.sh host failed on this machine"

. /etc/os-release
SUITE=${VERSION_CODENAME:?}
MIRROR=$("$REPO/tools/setup.sh" --print-archive) || fail "no apt source for '$SUITE' to build the root from"

ROOT=$(mktemp -d "$PARENT/vmm-fresh.XXXXXX") || fail "cannot create a scratch directory in $PARENT"
chmod 0755 "$ROOT"
LOG="$ROOT.log"
say "debootstrap $SUITE (minbase) from the machine's apt source into $ROOT (log: $LOG)"
if ! debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$LOG" 2>&1; then
	tail -n 20 "$LOG" >&2
	fail "debootstrap failed (log: $LOG)"
fi
say "root ready ($(elapsed))"

# What a new machine has that a bare root lacks: name resolution, and the kernel's filesystems.
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
mount -t proc proc "$ROOT/proc" || fail "cannot mount /proc in the root"
mount -t sysfs sys "$ROOT/sys" || fail "cannot mount /sys in the root"
mount --rbind /dev "$ROOT/dev" || fail "cannot bind /dev into the root"
mount --make-rslave "$ROOT/dev"
mount -t tmpfs tmpfs "$ROOT/tmp" || fail "cannot mount /tmp in the root"

# A clean clone of the committed project (what CI and a new user get).
if ! git clone -q --no-local "$REPO" "$ROOT/root/vmm" >&2; then
	fail "git clone of $REPO failed"
fi
say "cloned $(git -C "$REPO" rev-parse --short HEAD) into the root"

if [ "$TIER" = unit ]; then
	CMD='tools/setup.sh && make all check-unit check-unit-tsan'
else
	CMD='tools/setup.sh && make check'
fi
say "running as root in the chroot: $CMD"
chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	/bin/bash -c "cd /root/vmm && $CMD" 2>&1 | tee "$ROOT.run.log" | sed 's/^/  | /'
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
	grep -E '^(setup: error|FAIL|make: \*\*\*)' "$ROOT.run.log" | head -n 5 | sed 's/^/check-fresh: /' >&2
	why=$(grep -E '^(setup: error|FAIL |make: \*\*\*)' "$ROOT.run.log" | head -n 1)
	fail "'$CMD' exited $rc in a fresh $SUITE root${why:+: $why} (log: $ROOT.run.log)"
fi
rm -f "$LOG" "$ROOT.run.log"
result 0 ""
