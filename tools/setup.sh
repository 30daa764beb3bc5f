#!/usr/bin/env bash
# Installs what vmm needs to build and test on a Debian 12 machine, and caches the
# arm64 downloads (kernel, busybox, static libraries, the QEMU peer) outside the clone.
#
#   tools/setup.sh [host|sysroot|guest|peer|selftest|all]   (default: all; all ends with the self-test)
#   tools/setup.sh --print-cache                   prints the cache directory
#   tools/setup.sh --print-archive                 prints the Debian archive address of the apt sources
#
# Idempotent: every step checks first and does nothing when its result exists.
# Package downloads come only from the machine's own apt sources; the
# bookworm-backports suite is added by deriving the archive address from them.
set -euo pipefail

CACHE=${VMM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmm}
KERNEL_SERIES=6.12
# The test host's kernel modules, in load order: veth (two hosts for migration tests);
# tls with what kernel TLS needs for AES-GCM (gcm(aes): crypto_null, gcm, gf128mul, the
# generic and the ARMv8 CE ghash); loop and ext4 (a disk image on a filesystem the tests
# can freeze). All modules of the Debian kernel, none loaded on demand.
L1_MODULES="veth crypto_null gcm gf128mul ghash-generic ghash-ce tls loop crc16 crc32c_generic mbcache jbd2 ext4"
SYSROOT_PKGS="libfdt-dev libfdt1 libzstd-dev libzstd1 liburing-dev liburing2 libssl-dev libssl3
  libmsgpack-dev libmsgpackc2 libjson-c-dev libjson-c5"
HOST_PKGS="make gcc libc6-dev pkg-config python3 cpio zstd xz-utils device-tree-compiler acpica-tools
  libcriterion-dev libfdt-dev libzstd-dev liburing-dev libssl-dev libmsgpack-dev libjson-c-dev
  clang libclang-rt-14-dev openssl git debootstrap"

# On x86_64 (or any non-arm64 host) vmm is cross-built and tested inside an
# emulated arm64 host; an arm64 host builds and runs it natively.
if [ "$(uname -m)" != aarch64 ]; then
	HOST_PKGS="$HOST_PKGS qemu-system-arm gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross"
	FOREIGN=1
else
	FOREIGN=0
fi

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_update() {
	[ "$apt_updated" -eq 1 ] && return 0
	log "apt-get update"
	as_root apt-get update -qq || die "apt-get update failed"
	apt_updated=1
}

codename() {
	. /etc/os-release
	[ -n "${VERSION_CODENAME:-}" ] || die "cannot tell the Debian release from /etc/os-release"
	echo "$VERSION_CODENAME"
}

# Prints "URI SIGNED_BY" of the apt source that serves the main Debian suite.
main_archive() {
	local cn=$1
	python3 - "$cn" <<'PY'
import glob, sys, re
cn = sys.argv[1]
found = None
def consider(uri, suites, signed):
    global found
    if found is None and cn in suites and "security" not in uri:
        found = (uri.rstrip("/"), signed or "")
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for block in re.split(r"\n\s*\n", open(path).read()):
        fields = {}
        for line in block.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            k, v = line.split(":", 1)
            fields[k.strip().lower()] = v.strip()
        if fields.get("enabled", "yes").lower() == "no" or "deb" not in fields.get("types", "").split():
            continue
        for uri in fields.get("uris", "").split():
            consider(uri, fields.get("suites", "").split(), fields.get("signed-by", ""))
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        parts = line.split("#", 1)[0].split()
        if len(parts) < 3 or parts[0] != "deb":
            continue
        parts = parts[1:]
        signed = ""
        if parts[0].startswith("["):
            opts = []
            while parts and not parts[0].endswith("]"):
                opts.append(parts.pop(0))
            opts.append(parts.pop(0))
            for o in " ".join(opts).strip("[]").split():
                if o.startswith("signed-by="):
                    signed = o.split("=", 1)[1]
        if len(parts) >= 2:
            consider(parts[0], [parts[1]], signed)
if found is None:
    sys.exit(1)
print(found[0], found[1])
PY
}

have_pkgs() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || return 1
	done
}

step_host() {
	# shellcheck disable=SC2086
	if ! have_pkgs $HOST_PKGS; then
		apt_update
		log "installing host packages"
		# shellcheck disable=SC2086
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $HOST_PKGS \
			|| die "apt-get install failed"
	fi
	if [ "$FOREIGN" = 1 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
		log "adding the arm64 architecture (downloads only; nothing arm64 is installed)"
		as_root dpkg --add-architecture arm64
		apt_updated=0
	fi
	local cn bp
	cn=$(codename)
	bp="$cn-backports"
	if ! grep -rqs -- "$bp" /etc/apt/sources.list /etc/apt/sources.list.d/; then
		local arch uri signed
		arch=$(main_archive "$cn") || die "no apt source for '$cn' found to derive the backports address from"
		uri=${arch%% *}
		signed=${arch#* }
		log "adding $bp from $uri"
		{
			echo "Types: deb"
			echo "URIs: $uri"
			echo "Suites: $bp"
			echo "Components: main"
			if [ -n "$signed" ]; then echo "Signed-By: $signed"; fi
		} | as_root tee /etc/apt/sources.list.d/vmm-backports.sources >/dev/null
		apt_updated=0
	fi
	# Make sure the arm64 indexes and backports are known.
	local pol
	pol=$(apt-cache policy "linux-image-arm64:arm64" 2>/dev/null || true)
	if ! apt-cache show "busybox-static:arm64" >/dev/null 2>&1 || ! grep -q -- "$bp" <<<"$pol"; then
		apt_update
	fi
}

# Downloads Debian packages (names may carry :arch or /suite) into $1.
download() {
	local dir=$1; shift
	local tmp
	mkdir -p "$dir"
	tmp=$(mktemp -d)
	chmod 0777 "$tmp"
	# shellcheck disable=SC2086
	if ! (cd "$tmp" && apt-get ${DOWNLOAD_OPTS:-} download -qq "$@" >"$tmp/log" 2>&1); then
		grep -v 'unsandboxed' "$tmp/log" >&2 || true
		rm -rf "$tmp"
		die "apt-get download $* failed"
	fi
	rm -f "$tmp/log"
	mv "$tmp"/*.deb "$dir"/
	rm -rf "$tmp"
}

step_sysroot() {
	local root="$CACHE/sysroot-arm64" stamp="$CACHE/sysroot-arm64/.done"
	[ -f "$stamp" ] && return 0
	log "fetching arm64 static libraries into $root"
	rm -rf "$root" "$CACHE/debs/sysroot"
	local pkgs=() p
	for p in $SYSROOT_PKGS; do pkgs+=("$p:arm64"); done
	download "$CACHE/debs/sysroot" "${pkgs[@]}"
	mkdir -p "$root"
	for p in "$CACHE"/debs/sysroot/*.deb; do dpkg-deb -x "$p" "$root"; done
	touch "$stamp"
}

step_guest() {
	local cn; cn=$(codename)
	local kdir="$CACHE/kernel" bb="$CACHE/busybox"
	# The kernel's modules the test host loads (L1_MODULES; the harness packs and loads
	# them in the order of modules.list). A cache made with another list is fetched anew.
	if [ ! -f "$kdir/.done" ] || [ "$(cat "$kdir/modules.list" 2>/dev/null)" != "$L1_MODULES" ]; then
		local meta dep ver
		meta="linux-image-arm64:arm64"
		dep=$(apt-cache show "$meta/$cn-backports" 2>/dev/null | sed -n 's/^Depends: *\(linux-image-[^ ,]*\).*/\1/p' | head -n1)
		[ -n "$dep" ] || die "no arm64 kernel in $cn-backports"
		case "$dep" in linux-image-"$KERNEL_SERIES".*) ;; *) die "backports kernel is $dep, not $KERNEL_SERIES";; esac
		log "fetching $dep"
		rm -rf "$kdir"; mkdir -p "$kdir/x"
		download "$kdir" "$dep:arm64/$cn-backports"
		dpkg-deb -x "$kdir"/*.deb "$kdir/x"
		ver=${dep#linux-image-}
		cp "$kdir/x/boot/vmlinuz-$ver" "$kdir/Image"
		cp "$kdir/x/boot/config-$ver" "$kdir/config"
		echo "$ver" > "$kdir/version"
		mkdir -p "$kdir/modules"
		local m
		for m in $L1_MODULES; do
			find "$kdir/x/lib/modules" -name "$m.ko*" -exec cp {} "$kdir/modules/" \;
			ls "$kdir/modules/$m".ko* >/dev/null 2>&1 || die "module $m.ko missing from $dep"
		done
		echo "$L1_MODULES" > "$kdir/modules.list"
		# The guest's modules (virtio-blk disks with ext4), shipped in its initramfs.
		find "$kdir/x/lib/modules" \( -name 'virtio_mmio.ko*' -o -name 'virtio_blk.ko*' -o -name 'ext4.ko*' -o -name 'jbd2.ko*' -o -name 'mbcache.ko*' -o -name 'crc16.ko*' -o -name 'crc32c_generic.ko*' \) -exec cp {} "$kdir/modules/" \;
		rm -rf "$kdir/x" "$kdir"/*.deb
		touch "$kdir/.done"
	fi
	# A real filesystem check for the guest's disks (statically linked, shipped in its initramfs).
	local fk="$CACHE/e2fsck"
	if [ ! -f "$fk/.done" ]; then
		log "fetching e2fsck-static:arm64"
		rm -rf "$fk"; mkdir -p "$fk/x"
		download "$fk" "e2fsck-static:arm64"
		dpkg-deb -x "$fk"/*.deb "$fk/x"
		cp "$fk/x/sbin/e2fsck.static" "$fk/e2fsck" || die "e2fsck-static:arm64 has no /sbin/e2fsck.static"
		rm -rf "$fk/x" "$fk"/*.deb
		touch "$fk/.done"
	fi
	if [ ! -f "$bb/.done" ]; then
		log "fetching busybox-static:arm64"
		rm -rf "$bb"; mkdir -p "$bb/x"
		download "$bb" "busybox-static:arm64"
		dpkg-deb -x "$bb"/*.deb "$bb/x"
		cp "$bb/x/bin/busybox" "$bb/busybox"
		rm -rf "$bb/x" "$bb"/*.deb
		touch "$bb/.done"
	fi
}

# The peer for benchmarks: the newest qemu-system-aarch64 Debian ships for this release
# (bookworm-backports when it has one), for arm64, unpacked (not installed).
step_peer() {
	local pd="$CACHE/peer-qemu" cn bp apt_bp ver
	cn=$(codename)
	bp="$cn-backports"
	apt_bp=(-o "APT::Default-Release=$bp")
	ver=$(apt-cache "${apt_bp[@]}" policy qemu-system-arm:arm64 2>/dev/null | sed -n 's/^ *Candidate: *//p')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no qemu-system-arm:arm64 in the apt sources"
	[ -f "$pd/.done" ] && [ "$(cat "$pd/version" 2>/dev/null)" = "$ver" ] && return 0
	log "fetching the arm64 QEMU peer $ver (dependency closure of qemu-system-arm:arm64)"
	rm -rf "$pd"; mkdir -p "$pd/root"
	local names
	names=$(apt-cache "${apt_bp[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
		--no-replaces --no-enhances --no-pre-depends qemu-system-arm:arm64 2>/dev/null |
		sed -n 's/^\([a-z0-9][^ <>]*\)$/\1/p' | sed 's/:arm64$//' | sort -u)
	local want=() n
	# Keep the packages built for arm64 (architecture-independent data is not needed).
	# shellcheck disable=SC2046
	for n in $(apt-cache "${apt_bp[@]}" show --no-all-versions $(for n in $names; do case "$n" in *:*) ;; *) echo "$n:arm64";; esac; done) 2>/dev/null |
		awk '/^Package:/{p=$2} /^Architecture: arm64/{print p}' | sort -u); do
		want+=("$n:arm64")
	done
	[ "${#want[@]}" -gt 0 ] || die "empty dependency closure for qemu-system-arm:arm64"
	DOWNLOAD_OPTS="-o APT::Default-Release=$bp" download "$pd/debs" "${want[@]}"
	local d
	for d in "$pd"/debs/*.deb; do dpkg-deb -x "$d" "$pd/root"; done
	rm -rf "$pd/debs"
	[ -x "$pd/root/usr/bin/qemu-system-aarch64" ] || die "qemu-system-aarch64 missing from the peer closure"
	echo "$ver" > "$pd/version"
	touch "$pd/.done"
}

# Self-test: every library vmm uses compiles and links, statically for aarch64 (the
# product binary) and natively (unit tests), and a native Criterion test runs. Each
# check names the package that is missing when it fails.
# Table: name | header | statement | link flags | Debian -dev package
SELFTEST_LIBS='libc|stdio.h|puts("")||libc6-dev
libfdt|libfdt.h|static char b[256]; return fdt_create_empty_tree(b, sizeof(b))|-lfdt|libfdt-dev
zstd|zstd.h|return (int)ZSTD_versionNumber() == 0|-lzstd|libzstd-dev
liburing|liburing.h|struct io_uring r; return io_uring_queue_init(2, &r, 0) == 12345|-luring|liburing-dev
OpenSSL|openssl/ssl.h|return OPENSSL_init_ssl(0, NULL) == 12345|-lssl -lcrypto -lpthread|libssl-dev
msgpack-c|msgpack.h|return msgpack_version_major() == 12345|-lmsgpackc|libmsgpack-dev
json-c|json-c/json.h|return json_object_new_object() == NULL|-ljson-c|libjson-c-dev'

selftest_one() { # CC FLAGS... -- name header stmt libs pkg-hint
	local tmp=$1 kind=$2 name=$3 hdr=$4 stmt=$5 libs=$6 hint=$7; shift 7
	printf '#include <stddef.h>\n#include <%s>\nint main(void) { %s; return 0; }\n' "$hdr" "$stmt" >"$tmp/t.c"
	# shellcheck disable=SC2086
	if ! "$@" -o "$tmp/t" "$tmp/t.c" $libs >"$tmp/log" 2>&1; then
		sed 's/^/setup:   | /' "$tmp/log" | head -n 8 >&2
		die "self-test: cannot build a $kind program with $name: install $hint"
	fi
}

step_selftest() {
	local tmp line name hdr stmt libs pkg sys=()
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" RETURN
	if [ "$FOREIGN" = 1 ]; then
		local root="$CACHE/sysroot-arm64"
		sys=(aarch64-linux-gnu-gcc -static -isystem "$root/usr/include" -isystem "$root/usr/include/aarch64-linux-gnu"
			-L"$root/usr/lib/aarch64-linux-gnu")
	else
		sys=(cc)
	fi
	while IFS='|' read -r name hdr stmt libs pkg; do
		if [ "$FOREIGN" = 1 ]; then
			local hint="$pkg:arm64 (tools/setup.sh sysroot unpacks it into $CACHE/sysroot-arm64)"
			[ "$name" = libc ] && hint="gcc-aarch64-linux-gnu and libc6-dev-arm64-cross"
			selftest_one "$tmp" "static aarch64" "$name" "$hdr" "$stmt" "$libs" "$hint" "${sys[@]}"
		fi
		selftest_one "$tmp" native "$name" "$hdr" "$stmt" "$libs" "$pkg" cc
	done <<<"$SELFTEST_LIBS"
	printf '#include <criterion/criterion.h>\nTest(setup, selftest) { cr_assert_eq(1 + 1, 2); }\n' >"$tmp/c.c"
	if ! cc -o "$tmp/c" "$tmp/c.c" -lcriterion >"$tmp/log" 2>&1; then
		sed 's/^/setup:   | /' "$tmp/log" | head -n 8 >&2
		die "self-test: cannot build a native Criterion test: install libcriterion-dev"
	fi
	if ! "$tmp/c" >"$tmp/log" 2>&1; then
		sed 's/^/setup:   | /' "$tmp/log" | head -n 8 >&2
		die "self-test: a native Criterion test does not pass: reinstall libcriterion-dev"
	fi
	log "self-test passed: aarch64 static links and native builds of libc, libfdt, zstd, liburing, OpenSSL, msgpack-c, json-c; a Criterion test runs"
}

main() {
	local what=${1:-all}
	case "$what" in
	--print-cache) echo "$CACHE"; return 0;;
	--print-archive) local a; a=$(main_archive "$(codename)") || return 1; echo "${a%% *}"; return 0;;
	host) step_host;;
	sysroot) step_host; [ "$FOREIGN" = 0 ] || step_sysroot;;
	guest) step_host; step_guest;;
	peer) step_host; step_peer;;
	selftest) step_host; [ "$FOREIGN" = 0 ] || step_sysroot; step_selftest;;
	all) step_host; [ "$FOREIGN" = 0 ] || step_sysroot; step_guest; step_peer; step_selftest;;
	*) die "unknown step '$what' (host|sysroot|guest|peer|selftest|all)";;
	esac
}

main "$@"
