"""Integration tier: virtio-blk disks (issue 12): durability across kill -9, read-only disks,
image locks, hostile transport writes, two queues, discard and write-zeroes, snapshot/restore
and live migration with I/O running (e2fsck of the result)."""
import json

from harness.scenario import Fail, expect, first, q, scenario, tagged

BOOT_TIMEOUT = 180
IMG_MB = 64


def make_image(ctx, path, mb=IMG_MB):
    st, out = ctx.sh(f"rm -f {q(path)} && dd if=/dev/zero of={q(path)} bs=1M count={mb} 2>&1 | tail -1", 60)
    expect(st == 0, f"cannot create the disk image {path}: {out!r}")


def boot_with_disks(ctx, name, disks, extra=(), acpi=None):
    argv = ctx.vmm_run(cpus="boot=2,max=2", memory="512M", acpi=acpi,
                       extra=[w for d in disks for w in ("--disk", d)] + list(extra))
    s = ctx.session(name, argv)
    s.start()
    s.wait_for("GUEST-READY", BOOT_TIMEOUT)
    return s


def guest_ok(s, cmd, timeout=60, what=None):
    st, out = s.run(cmd, timeout)
    expect(st == 0, f"guest `{what or cmd}`: status {st}, output {out[-6:]!r} (expected success)")
    return out


def power_off(s):
    """The guest powers off; vmm must exit with status 0."""
    s.send("poweroff -f")
    st = s.wait_exit(30)
    expect(st.exited_ok, f"vmm after poweroff: {st}")


def wait_vda(s):
    guest_ok(s, "i=0; while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; "
             "[ -b /dev/vda ] || { dmesg | grep -i -e virtio -e vda | tail -5; exit 1; }", 60,
             "wait for /dev/vda")


MARKS = 6


@scenario("disk-durable", tier="integration")
def disk_durable(ctx):
    """ext2 on /dev/vda, files written with fsync, kill -9 right after: the image holds them."""
    img = "/tmp/disk-durable.img"
    make_image(ctx, img, 16)
    s = boot_with_disks(ctx, "dur", [f"path={img},serial=durable-1"])
    wait_vda(s)
    out = guest_ok(s, "cat /sys/block/vda/serial 2>/dev/null; echo; cat /sys/block/vda/size")
    expect("durable-1" in out, f"guest /sys/block/vda/serial: {out!r} (expected durable-1)")
    expect(str(16 * 2048) in out, f"guest /sys/block/vda/size: {out!r} (expected {16 * 2048} sectors)")
    guest_ok(s, "mke2fs -F /dev/vda > /tmp/mkfs.log 2>&1 || { cat /tmp/mkfs.log; exit 1; }; "
             "mkdir -p /mnt && mount -t ext2 /dev/vda /mnt", 120, "mke2fs + mount")
    # Random payloads with their checksums, plus text markers that can be found in the raw image.
    cmd = ("for i in $(seq 1 %d); do dd if=/dev/urandom of=/mnt/f$i bs=64k count=$((i*2)) 2>/dev/null; "
           "u=$(cat /proc/sys/kernel/random/uuid); for j in $(seq 100); do echo \"MARK-$i-$u\"; done > /mnt/m$i; echo \"@mark MARK-$i-$u\"; "
           "fsync /mnt/f$i /mnt/m$i || exit 1; done; md5sum /mnt/f* > /mnt/sums; fsync /mnt/sums /mnt || exit 1; "
           "cat /mnt/sums; echo @synced") % MARKS
    out = guest_ok(s, cmd, 180, "write + fsync")
    marks = tagged(out, "mark")
    expect(len(marks) == MARKS and "@synced" in out, f"guest writes: {out[-4:]!r}")
    sums = [ln for ln in out if ln.endswith(tuple(f"/mnt/f{i}" for i in range(1, MARKS + 1)))]
    s.kill("KILL")
    st = s.wait_exit(30)
    expect(st.kind == "signal" and st.code == 9, f"vmm after kill -9: {st}")
    # busybox grep stops at a NUL inside a line: split the image at NULs first.
    # Each marker file holds 100 marker lines, so whole lines of it are free of NULs
    # (busybox grep stops at a NUL inside a line).
    st, out = ctx.sh(f"grep -o 'MARK-[0-9]*-[0-9a-f-]*' {q(img)} | sort -u", 300)
    missing = [m for m in marks if m not in out]
    expect(not missing, f"markers missing from the host image after kill -9: {missing} (found {out!r})")
    # A new VM sees the files intact.
    s2 = boot_with_disks(ctx, "dur2", [f"path={img},serial=durable-1"])
    wait_vda(s2)
    out = guest_ok(s2, "mkdir -p /mnt && mount -t ext2 /dev/vda /mnt && md5sum -c /mnt/sums && sort -u /mnt/m*",
                   120, "mount + md5sum -c")
    expect(all(m in out for m in marks), f"markers after remount: {out!r}")
    st, out = s2.run("dmesg | grep -i -e 'EXT4-fs error' -e 'I/O error' -e 'Call trace' | head -3")
    expect(not out, "guest kernel errors: " + " / ".join(out))
    guest_ok(s2, "umount /mnt && sync")
    s2.send("poweroff -f")
    st = s2.wait_exit(30)
    expect(st.exited_ok, f"vmm after poweroff: {st} (expected exit status 0)")
    ctx.note(f"  {len(marks)} files, {len(sums)} checksums intact after kill -9")
    ctx.sh(f"rm -f {q(img)}", 30)


@scenario("disk-readonly", tier="integration")
def disk_readonly(ctx):
    """readonly=on: the guest sees a read-only disk, and forced writes fail with an I/O error."""
    img = "/tmp/disk-ro.img"
    make_image(ctx, img, 16)
    ctx.sh(f"printf 'RO-PATTERN-%04d\\n' $(seq 1 2000) | dd of={q(img)} conv=notrunc 2>/dev/null", 30)
    _st, before = ctx.sh(f"md5sum {q(img)}", 30)
    s = boot_with_disks(ctx, "ro", [f"path={img},readonly=on"])
    wait_vda(s)
    out = guest_ok(s, "cat /sys/block/vda/ro; dd if=/dev/vda bs=4k count=1 2>/dev/null | head -c 15; echo")
    expect(out[:1] == ["1"], f"guest /sys/block/vda/ro: {out!r} (expected 1)")
    expect(any("RO-PATTERN-0001" in ln for ln in out), f"reading the read-only disk: {out!r}")
    st, out = s.run("dd if=/dev/zero of=/dev/vda bs=4k count=1 conv=fsync 2>&1; echo rc=$?")
    expect("rc=0" not in out, f"a write to the read-only disk succeeded: {out!r}")
    # Past the guest's own check: the device must refuse with an I/O error.
    st, out = s.run("blockdev --setrw /dev/vda; dd if=/dev/zero of=/dev/vda bs=4k count=1 oflag=direct 2>&1; "
                    "echo rc=$?; dmesg | grep -c -i 'error' ")
    expect("rc=0" not in out, f"a forced write to the read-only disk succeeded: {out!r}")
    ctx.note("  forced write: " + " / ".join(out[-3:]))
    s.send("poweroff -f")
    s.wait_exit(30)
    _st, after = ctx.sh(f"md5sum {q(img)}", 30)
    expect(before == after, f"the read-only image changed: {before} -> {after}")
    ctx.sh(f"rm -f {q(img)}", 30)


MIB = 1 << 20


def host_blocks(ctx, img):
    _st, out = ctx.sh(f"stat -c %b {q(img)}", 30)
    return int(out[0]) if out and out[0].isdigit() else -1


def blockstats(ctx, sock):
    """The first disk's query-blockstats counters."""
    _st, out = ctx.sh(f"{q(ctx.vmm)} qmp --api {q(sock)} query-blockstats", 30)
    text = "".join(out)
    try:
        return json.loads(text[text.index("["):])[0]["stats"]
    except (ValueError, IndexError, KeyError):
        raise Fail(f"query-blockstats: {text[:300]!r}")


def zeros_in_guest(s, off_mb, len_mb):
    """True when the guest reads [off, off+len) MiB of /dev/vda as zeros (O_DIRECT)."""
    out = guest_ok(s, f"a=$(dd if=/dev/vda bs=1M skip={off_mb} count={len_mb} iflag=direct 2>/dev/null | md5sum); "
                   f"b=$(head -c {len_mb * MIB} /dev/zero | md5sum); [ \"$a\" = \"$b\" ] && echo @zeros yes || "
                   f"echo @zeros no")
    return first(out, "zeros") == "yes"


@scenario("disk-features", tier="integration")
def disk_features(ctx):
    """num_queues=2 (both queues carry I/O in the guest), DISCARD, WRITE_ZEROES with and without
    unmap (the image on the test host's tmpfs, which has no ZERO_RANGE): the guest reads zeros,
    the host image loses its blocks where holes were allowed, nothing else changes."""
    img = "/tmp/disk-features.img"
    make_image(ctx, img, 64)
    sock = "/tmp/disk-features.qmp"
    ctx.sh(f"rm -f {q(sock)}", 10)
    s = boot_with_disks(ctx, "feat", [f"path={img},serial=feat-1,num_queues=2"], extra=["--api-socket", sock])
    wait_vda(s)
    out = guest_ok(s, "ls -1 /sys/block/vda/mq; echo @discard $(cat /sys/block/vda/queue/discard_max_bytes); "
                   "echo @wz $(cat /sys/block/vda/queue/write_zeroes_max_bytes)")
    hctx = [ln for ln in out if ln.isdigit()]
    expect(hctx == ["0", "1"], f"guest /sys/block/vda/mq: {hctx!r} (expected 2 hardware queues)")
    expect(int(first(out, "discard", "0") or 0) > 0, f"guest sees no discard support: {out!r}")
    expect(int(first(out, "wz", "0") or 0) > 0, f"guest sees no write-zeroes support: {out!r}")
    # One writer pinned to each CPU: blk-mq maps CPU n to queue n.
    guest_ok(s, "dd if=/dev/urandom of=/tmp/r0 bs=1M count=8 2>/dev/null; dd if=/dev/urandom of=/tmp/r1 bs=1M "
             "count=8 2>/dev/null; md5sum < /tmp/r0 > /tmp/r0.md5; md5sum < /tmp/r1 > /tmp/r1.md5; "
             "taskset 1 dd if=/tmp/r0 of=/dev/vda bs=64k oflag=direct 2>/dev/null & "
             "taskset 2 dd if=/tmp/r1 of=/dev/vda bs=64k seek=128 oflag=direct 2>/dev/null & wait", 120,
             "two writers, one per CPU")
    stats = blockstats(ctx, sock)
    qreq = stats.get("x-queue-requests", [])
    expect(len(qreq) == 2 and all(n > 0 for n in qreq),
           f"requests per virtqueue (query-blockstats): {qreq} (expected both queues used)")
    q0, q1 = qreq
    # DISCARD: random data, then blkdiscard; the guest reads zeros and the host image has a hole.
    guest_ok(s, "dd if=/dev/urandom of=/dev/vda bs=1M seek=16 count=8 oflag=direct 2>/dev/null && sync", 120)
    b0 = host_blocks(ctx, img)
    guest_ok(s, f"blkdiscard -o {16 * MIB} -l {8 * MIB} /dev/vda", 60)
    expect(zeros_in_guest(s, 16, 8), "the discarded range does not read back as zeros in the guest")
    b1 = host_blocks(ctx, img)
    expect(b1 <= b0 - 8 * MIB // 512 + 64, f"discard left the host image's blocks at {b1} (before: {b0})")
    # WRITE_ZEROES with unmap (BLKZEROOUT) and without (fallocate ZERO_RANGE, tmpfs has none).
    guest_ok(s, "dd if=/dev/urandom of=/dev/vda bs=1M seek=32 count=16 oflag=direct 2>/dev/null && sync", 120)
    out = guest_ok(s, f"blkzero ioctl /dev/vda {32 * MIB} {4 * MIB}")
    expect(first(out, "zero") == "ok", f"BLKZEROOUT: {out!r}")
    expect(zeros_in_guest(s, 32, 4), "the BLKZEROOUT range does not read back as zeros")
    out = guest_ok(s, f"blkzero fallocate /dev/vda {40 * MIB} {4 * MIB}")
    expect(first(out, "zero") == "ok", f"fallocate ZERO_RANGE on /dev/vda: {out!r}")
    expect(zeros_in_guest(s, 40, 4), "the ZERO_RANGE range does not read back as zeros")
    # Nothing else changed: the two writers' data and the random data around the zeroed ranges.
    out = guest_ok(s, "a=$(dd if=/dev/vda bs=1M count=8 iflag=direct 2>/dev/null | md5sum); "
                   "b=$(dd if=/dev/vda bs=1M skip=8 count=8 iflag=direct 2>/dev/null | md5sum); "
                   "[ \"$a\" = \"$(cat /tmp/r0.md5)\" ] && [ \"$b\" = \"$(cat /tmp/r1.md5)\" ] && echo @same yes; "
                   "echo @z36 $(dd if=/dev/vda bs=1M skip=36 count=4 iflag=direct 2>/dev/null | tr -d '\\000' | wc -c)")
    expect(first(out, "same") == "yes", f"the two writers' data changed: {out!r}")
    expect(int(first(out, "z36", "0") or 0) > 0, f"the random data between the zeroed ranges is gone: {out!r}")
    st, out = s.run("dmesg | grep -i -e 'I/O error' -e 'Call trace' -e 'critical' | head -3")
    expect(not out, "guest kernel errors: " + " / ".join(out))
    stats = blockstats(ctx, sock)
    expect(stats.get("unmap_operations", 0) > 0 and stats.get("x-write-zeroes-operations", 0) >= 2
           and stats.get("x-failed-operations", 1) == 0,
           f"query-blockstats after discard and two write-zeroes: {stats}")
    rc, err = ctx.sh(f"grep -c 'writes zeros' {q(ctx.runner.ex.T)}/s/feat/err", 10)
    ctx.note(f"  hardware queues used: {q0} and {q1} requests; discard: host blocks {b0} -> {b1}; "
             f"ZERO_RANGE written as zeros (vmm said so {err[0] if err else '?'} time(s))")
    power_off(s)
    ctx.sh(f"rm -f {q(img)}", 30)


@scenario("disk-pause-timeout", tier="integration")
def disk_pause_timeout(ctx):
    """The image's filesystem is frozen on the host while the guest writes: those requests cannot
    complete, so `snapshot` cannot drain the disk and fails cleanly within its bound (the VM runs
    on, no snapshot written). Thawed, the writes complete intact and a snapshot succeeds."""
    fsimg, mnt, snap = "/tmp/frz.fs", "/tmp/frz", "/tmp/frz-snap"
    st, out = ctx.sh(f"umount {mnt} 2>/dev/null; rm -rf {fsimg} {snap}; dd if=/dev/zero of={fsimg} bs=1M count=40 "
                     f"2>/dev/null && mke2fs -F {fsimg} > /dev/null 2>&1 && mkdir -p {mnt} && "
                     f"mount -o loop {fsimg} {mnt} && echo @mounted", 120)
    expect("@mounted" in out, f"cannot mount an ext2 loop filesystem in the test host: {out!r}")
    img, sock = f"{mnt}/disk.img", "/tmp/disk-frz.qmp"
    frozen = False
    try:
        make_image(ctx, img, 16)
        ctx.sh(f"rm -f {q(sock)}", 10)
        s = boot_with_disks(ctx, "frz", [f"path={img}"], extra=["--api-socket", sock])
        wait_vda(s)
        out = guest_ok(s, "dd if=/dev/urandom of=/tmp/pat bs=64k count=16 2>/dev/null; md5sum < /tmp/pat")
        want = out[-1].split()[0]
        st, out = ctx.sh(f"sync; fsfreeze --freeze {mnt} 2>&1; echo \"@rc $?\"", 30)
        expect(first(out, "rc") == "0", f"fsfreeze --freeze {mnt} in the test host: {out!r}")
        frozen = True
        s.send("(dd if=/tmp/pat of=/dev/vda bs=64k oflag=direct 2>/dev/null; echo WRITE-\"\"DONE) &")
        ctx.sh("sleep 2", 10)
        t = ctx.sh("l1util now", 10)[1]
        st, out = ctx.sh(f"timeout 120 {q(ctx.vmm)} snapshot --to {snap} --api {q(sock)} 2>&1; echo \"@rc $?\"", 150)
        t2 = ctx.sh("l1util now", 10)[1]
        rc = first(out, "rc", "?")
        expect(rc not in ("0", "124", "?"), f"`vmm snapshot` with a request stuck on the host: {out!r} "
               f"(expected a clean failure)")
        expect(any("flight" in ln or "drain" in ln for ln in out),
               f"the snapshot's error does not name the undrained disk: {out!r}")
        ms = int(t2[0]) - int(t[0]) if t and t2 and t[0].isdigit() and t2[0].isdigit() else -1
        ctx.note(f"  snapshot with a stuck request: status {rc} after {ms} ms: "
                 + " / ".join(ln for ln in out if not ln.startswith("@"))[:200])
        _st, out = ctx.sh(f"ls -A {snap} 2>/dev/null; echo @ls", 10)
        expect(out == ["@ls"], f"the failed snapshot left files in {snap}: {out!r}")
        expect(s.status().running, f"vmm after the failed snapshot: {s.status()}")
        _st, out = ctx.sh(f"{q(ctx.vmm)} qmp --api {q(sock)} query-status 2>&1", 30)
        expect('"status":"running"' in "".join(out).replace(" ", ""),
               f"query-status after the failed snapshot: {out!r} (expected running)")
    finally:
        if frozen:
            ctx.sh(f"fsfreeze --unfreeze {mnt}", 30)
    s.wait_for("WRITE-DONE", 120)
    out = guest_ok(s, "dd if=/dev/vda bs=64k count=16 iflag=direct 2>/dev/null | md5sum")
    expect(out[-1].split()[0] == want, f"the data written across the freeze: {out[-1]} (expected {want})")
    st, out = ctx.sh(f"{q(ctx.vmm)} snapshot --to {snap} --api {q(sock)} 2>&1; echo \"@rc $?\"", 150)
    expect(first(out, "rc") == "0", f"snapshot after the thaw: {out!r} (expected success)")
    power_off(s)
    ctx.sh(f"rm -rf {snap}; umount {mnt}; rm -f {fsimg}", 60)


def fsck_clean(s, dev="/dev/vda", where=""):
    """e2fsck -fn on the unmounted filesystem: exit status 0 (clean) expected."""
    st, out = s.run(f"e2fsck -fn {dev} 2>&1; echo \"@fsck $?\"", 180)
    rc = first(out, "fsck", "?")
    expect(rc == "0", f"e2fsck -fn {dev}{where}: status {rc} (expected 0, clean): "
           + " / ".join(ln for ln in out if not ln.startswith("@"))[-400:])
    return [ln for ln in out if ln.startswith(dev)]


def run_fails(ctx, name, argv, words):
    words_s = " ".join(q(a) for a in argv)
    rc, lines = ctx.sh(f"run_once {q(name)} 60000 {words_s}", 90)
    st = first(lines, "status", "")
    errs = tagged(lines, "err")
    expect(st.startswith("exit ") and not st.startswith("exit 0"),
           f"second vmm on a disk in use: {st!r} (expected a non-zero exit)", details=errs)
    expect(any(w in " ".join(errs) for w in words), f"second vmm's error: {errs!r} (expected it to name {words})")
    return errs


@scenario("disk-lock", tier="integration")
def disk_lock(ctx):
    """A second vmm cannot open a disk in use (rw or ro); after the first exits it can."""
    img = "/tmp/disk-lock.img"
    make_image(ctx, img, 16)
    s = boot_with_disks(ctx, "lock1", [f"path={img}"])
    wait_vda(s)
    errs = run_fails(ctx, "lock2", ctx.vmm_run(cpus="1", memory="256M", extra=["--disk", f"path={img}"]),
                     ["in use"])
    ctx.note("  " + errs[-1] if errs else "")
    run_fails(ctx, "lock3", ctx.vmm_run(cpus="1", memory="256M", extra=["--disk", f"path={img},readonly=on"]),
              ["in use"])
    # The first VM still works.
    guest_ok(s, "dd if=/dev/urandom of=/dev/vda bs=4k count=16 oflag=direct 2>/dev/null && sync")
    power_off(s)
    # Free again once the first exited; this boot uses the device tree (virtio,mmio nodes).
    s3 = boot_with_disks(ctx, "lock4", [f"path={img}"], acpi="off")
    wait_vda(s3)
    guest_ok(s3, "dd if=/dev/vda bs=4k count=16 iflag=direct 2>/dev/null | wc -c")
    s3.send("poweroff -f")
    s3.wait_exit(30)
    ctx.sh(f"rm -f {q(img)}", 30)


# Garbage for the transport registers: (offset, value) written with devmem while no
# driver owns the device, including a device-status walk with impossible features,
# queue rings outside RAM, a huge queue size, notifications and interrupt ACKs.
HOSTILE = [(0x70, 0x0), (0x70, 0xff), (0x70, 0x1), (0x70, 0x3), (0x24, 1), (0x20, 0xffffffff), (0x24, 0),
           (0x20, 0xffffffff), (0x70, 0xb), (0x30, 0), (0x38, 0x10000), (0x38, 3), (0x80, 0xdead0000),
           (0x84, 0xffffffff), (0x90, 0x1), (0xa0, 0x3), (0x44, 1), (0x70, 0xf), (0x50, 0), (0x50, 7),
           (0x64, 0xffffffff), (0x30, 0xffffffff), (0x44, 1), (0x38, 0x100), (0xc0, 1), (0xfc, 5),
           (0x100, 0xffffffff), (0x104, 0xffffffff), (0x1fc, 0x12345678), (0x0, 0), (0x8, 0), (0x70, 0x80),
           (0x44, 0), (0x70, 0x0), (0x70, 0x4), (0x70, 0x8)]


@scenario("disk-hostile", tier="integration")
def disk_hostile(ctx):
    """The guest writes garbage to the transport registers; after a reset the disk works and the VMM lives."""
    img = "/tmp/disk-hostile.img"
    make_image(ctx, img, 16)
    s = boot_with_disks(ctx, "hostile", [f"path={img}"])
    wait_vda(s)
    guest_ok(s, "dd if=/dev/urandom of=/tmp/pat bs=64k count=16 2>/dev/null && "
             "dd if=/tmp/pat of=/dev/vda bs=64k oflag=direct 2>/dev/null && sync && md5sum < /tmp/pat > /tmp/pat.md5")
    dev = guest_ok(s, "ls /sys/bus/platform/drivers/virtio-mmio/ | grep -v -e bind -e uevent -e module")
    expect(len(dev) == 1, f"virtio-mmio platform devices: {dev!r} (expected one)")
    dev = dev[0].strip()
    guest_ok(s, f"echo {dev} > /sys/bus/platform/drivers/virtio-mmio/unbind")
    base = 0x0A000000
    cmd = "; ".join(f"devmem 0x{base + off:x} 32 0x{val:x}" for off, val in HOSTILE)
    st, out = s.run(cmd + "; for o in 0 4 8 c 10 34 44 60 70 fc 100 108; do devmem 0x0a000$(printf %03x 0x$o) 32; done",
                    120)
    ctx.note(f"  {len(HOSTILE)} hostile register writes; reads back: {' '.join(out[-12:])}")
    st2 = s.status()
    expect(st2.running, f"vmm after the hostile writes: {st2}")
    # Odd access sizes too.
    s.run("devmem 0x0a000070 8 0xff; devmem 0x0a000072 16 0xffff; devmem 0x0a000101 8; devmem 0x0a000070 8 0", 60)
    guest_ok(s, f"echo {dev} > /sys/bus/platform/drivers/virtio-mmio/bind; "
             "i=0; while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; [ -b /dev/vda ]",
             60, "rebind the driver")
    out = guest_ok(s, "dd if=/dev/vda bs=64k count=16 iflag=direct 2>/dev/null | md5sum; cat /tmp/pat.md5")
    expect(len(out) >= 2 and out[0] == out[1], f"disk content after the reset: {out!r} (expected equal checksums)")
    guest_ok(s, "dd if=/dev/zero of=/dev/vda bs=4k count=8 oflag=direct 2>/dev/null && sync", 60,
             "write after the reset")
    power_off(s)
    ctx.sh(f"rm -f {q(img)}", 30)


@scenario("disk-snapshot", tier="integration")
def disk_snapshot(ctx):
    """Writes with fsync running while `snapshot --stop` is taken; restore: fs clean, completed files intact."""
    img = "/tmp/disk-snap.img"
    snapdir = "/tmp/snap-disk"
    make_image(ctx, img)
    ctx.sh(f"rm -rf {q(snapdir)}", 30)
    sock = "/tmp/disk-snap.qmp"
    ctx.sh(f"rm -f {q(sock)}", 10)
    s = boot_with_disks(ctx, "dsnap", [f"path={img},serial=snap-1"], extra=["--api-socket", sock])
    wait_vda(s)
    guest_ok(s, "mke2fs -F /dev/vda > /tmp/mkfs.log 2>&1 && mkdir -p /mnt && mount -t ext2 /dev/vda /mnt", 120)
    # A writer: file i is written, fsynced, then its checksum is appended to /mnt/done (fsynced).
    guest_ok(s, "command -v fsync", 30, "the guest's fsync tool")
    guest_ok(s, "(i=0; while [ ! -e /tmp/stop ]; do i=$((i+1)); dd if=/dev/urandom of=/mnt/w$i bs=32k count=4 "
             "2>/dev/null; fsync /mnt/w$i || break; md5sum /mnt/w$i >> /mnt/done; fsync /mnt/done || break; done) "
             "> /dev/null 2>&1 & "
             "echo $! > /tmp/wpid; sleep 3; wc -l < /mnt/done")
    st, out = ctx.sh(f"{q(ctx.vmm)} snapshot --api {q(sock)} --to {q(snapdir)} --stop", 600)
    expect(st == 0, f"`vmm snapshot --stop` with I/O running: status {st}, {out!r}")
    st = s.wait_exit(60)
    expect(st.kind == "exit" and st.code == 5,
           f"vmm after `snapshot --stop`: {st} (expected exit status 5, README \"Exit status\")")
    # Restore onto a copy of the image (another path, same size and serial).
    img2 = "/tmp/disk-snap-copy.img"
    ctx.sh(f"cp {q(img)} {q(img2)}", 120)
    rsock = "/tmp/disk-snap-r.qmp"
    r = ctx.session("dsnap-r", [ctx.vmm, "restore", "--from", snapdir, "--disk", f"path={img2}",
                                "--api-socket", rsock])
    r.start()
    out = guest_ok(r, "sleep 2; touch /tmp/stop; while kill -0 $(cat /tmp/wpid) 2>/dev/null; do sleep 0.2; done; sync; "
                   "n=$(wc -l < /mnt/done); md5sum -c /mnt/done > /tmp/c.log 2>&1; rc=$?; "
                   "echo \"@files $n\"; echo \"@check $rc\"; grep -v ': OK' /tmp/c.log | head -3", 180)
    n = int(first(out, "files", "0") or 0)
    expect(first(out, "check") == "0", f"files completed before/after the snapshot fail their checksums: {out!r}")
    expect(n > 0, f"no completed files in the restored guest: {out!r}")
    # Remount read-only from a clean state: the filesystem must mount and read everything.
    guest_ok(r, "umount /mnt && mount -t ext2 -o ro /dev/vda /mnt && md5sum -c /mnt/done > /dev/null && umount /mnt",
             180, "remount + verify")
    summary = fsck_clean(r, where=" after the restore")
    st, out = r.run("dmesg | grep -i -e 'EXT4-fs error' -e 'I/O error' -e 'Call trace' -e 'hung' | head -3")
    expect(not out, "guest kernel errors after the restore: " + " / ".join(out))
    ctx.note(f"  {n} files written with fsync around the snapshot, all intact after the restore; e2fsck: "
             + " ".join(summary)[:160])
    # A restore pointing at an image of another size is refused.
    ctx.sh(f"dd if=/dev/zero of=/tmp/disk-small.img bs=1M count=8 2>/dev/null", 30)
    r.send("poweroff -f")
    r.wait_exit(30)
    rc, lines = ctx.sh(f"run_once dsnap-bad 60000 {q(ctx.vmm)} restore --from {q(snapdir)} --disk path=/tmp/disk-small.img", 90)
    st = first(lines, "status", "")
    expect(st.startswith("exit ") and not st.startswith("exit 0"),
           f"restore onto a disk of another size: {st!r} (expected a refusal)", details=tagged(lines, "err"))
    ctx.sh(f"rm -rf {q(snapdir)} {q(img)} {q(img2)} /tmp/disk-small.img", 60)


@scenario("disk-migrate", tier="integration")
def disk_migrate(ctx):
    """Shared storage across a live migration with I/O running: files written with fsync keep coming
    on host2, every completed one is intact, the filesystem checks clean; host2 holds the image's lock
    (a third VMM cannot open it). A migration refused at the offer, and one that fails at the
    switchover after host1 handed the lock over, both leave host1 running and holding it."""
    from scenarios.migrate import PORT, Hosts, Incoming, MIGRATED_EXIT, migrate, tls

    hosts = Hosts(ctx)
    img = "/tmp/disk-mig.img"
    make_image(ctx, img)
    sock = "/tmp/disk-mig.qmp"
    ctx.sh(f"rm -f {q(sock)}", 10)
    argv = hosts.ns(0) + ctx.vmm_run(cpus="boot=2,max=2", memory="512M",
                                     extra=["--disk", f"path={img},serial=mig-1", "--api-socket", sock])
    s = ctx.session("dmig-a", argv)
    s.start()
    s.wait_for("GUEST-READY", BOOT_TIMEOUT)
    wait_vda(s)
    guest_ok(s, "mke2fs -F /dev/vda > /tmp/mkfs.log 2>&1 && mkdir -p /mnt && mount -t ext2 /dev/vda /mnt", 120)
    guest_ok(s, "(i=0; while [ ! -e /tmp/stop ]; do i=$((i+1)); dd if=/dev/urandom of=/mnt/w$i bs=32k count=4 "
             "2>/dev/null; fsync /mnt/w$i || break; md5sum /mnt/w$i >> /mnt/done; fsync /mnt/done || break; done) "
             "> /dev/null 2>&1 & echo $! > /tmp/wpid; sleep 3; wc -l < /mnt/done")

    class Src:
        pass

    src = Src()
    src.ctx, src.s, src.sock = ctx, s, sock
    src.vmm = lambda *a, timeout=60: ctx.sh(f"{q(ctx.vmm)} {' '.join(q(x) for x in a)} --api {q(sock)} 2>&1", timeout)
    # A destination that cannot find the disk (the path is gone; host1 keeps its open image): refused
    # at the offer, host1 keeps the lock and runs on.
    dst0 = Incoming(ctx, hosts, "dmig-b0", host=1)
    ctx.sh(f"mv {q(img)} {q(img)}.away", 10)
    st, out = migrate(src, dst0, expect_ok=False, timeout=300)
    ctx.sh(f"mv {q(img)}.away {q(img)}", 10)
    expect(st != 0 and any("disk" in ln for ln in out),
           f"migration to a host without the disk: status {st}, {' / '.join(out)[-300:]} (expected a refusal)")
    ctx.note(f"  migration to a destination that cannot open the disk: status {st}")

    def host1_runs_on(after, name):
        """host1's vmm lives, its guest keeps writing, and it holds the disk's lock."""
        expect(s.status().running, f"host1's vmm ended after {after}: {s.status()}")
        out = guest_ok(s, "n1=$(wc -l < /mnt/done); sleep 2; n2=$(wc -l < /mnt/done); echo \"@n $n1 $n2\"")
        n = (first(out, "n", "0 0") or "0 0").split()
        expect(int(n[1]) > int(n[0]), f"host1's guest stopped writing after {after}: {n}")
        _rc, lines = ctx.sh(f"run_once {name} 30000 " + " ".join(q(a) for a in ctx.vmm_run(
            cpus="boot=1,max=1", memory="256M", extra=["--disk", f"path={img}"])), 60)
        expect(any("lock" in e.lower() or "in use" in e.lower() for e in tagged(lines, "err")),
               f"a third VMM could open host1's disk after {after}: {tagged(lines, 'err')[:2]!r}")

    host1_runs_on("a migration refused at the offer", "dmig-lock0")
    dst0.s.stop()
    # A destination that loses the image between the offer and the switchover: host1 hands
    # its lock over at the switchover, host2 cannot open the disk, the migration fails and
    # host1 takes the lock back before its guest runs on.
    dst1 = Incoming(ctx, hosts, "dmig-b1", host=1)
    qmp = lambda cmd, args="": ctx.sh(f"{q(ctx.vmm)} qmp --api {q(sock)} {cmd} {q(args) if args else ''} 2>&1", 60)
    st, out = qmp("migrate", f'{{"uri":"tcp:{dst1.addr}:{PORT}","tls-creds":"{tls(ctx, "good")}",'
                              f'"x-hold-switchover":true}}')
    expect(st == 0, f"migrate with x-hold-switchover: {' '.join(out)[:300]}")

    def status_until(states, tries):
        text = ""
        for _ in range(tries):
            text = "".join(qmp("query-migrate")[1]).replace(" ", "")
            if any(f'"status":"{w}"' in text for w in states):
                break
            ctx.sh("sleep 0.5", 10)
        return text

    text = status_until(("pre-switchover", "failed"), 600)
    expect('"status":"pre-switchover"' in text, f"the migration did not reach pre-switchover: {text[:300]}")
    ctx.sh(f"mv {q(img)} {q(img)}.away", 10)
    st, out = qmp("migrate-continue", '{"state":"pre-switchover"}')
    expect(st == 0, f"migrate-continue: {' '.join(out)[:200]}")
    text = status_until(("failed", "completed"), 240)
    ctx.sh(f"mv {q(img)}.away {q(img)}", 10)
    expect('"status":"failed"' in text, f"a destination that cannot open the disk at the switchover: {text[:300]}")
    _rc, why = ctx.sh(f"grep -h -i 'disk' $T/s/dmig-b1/err | tail -n 2", 10)
    ctx.note("  failed at the switchover: " + " / ".join(why)[:240])
    host1_runs_on("a migration that failed after the lock hand-over", "dmig-lock1")
    dst1.s.stop()
    # The real migration, with the writer running.
    dst = Incoming(ctx, hosts, "dmig-b", host=1)
    migrate(src, dst)
    st = s.wait_exit(60)
    expect(st.kind == "exit" and st.code == MIGRATED_EXIT, f"host1's vmm after the migration: {st}")
    out = guest_ok(dst.s, "sleep 2; touch /tmp/stop; while kill -0 $(cat /tmp/wpid) 2>/dev/null; do sleep 0.2; "
                   "done; sync; n=$(wc -l < /mnt/done); md5sum -c /mnt/done > /tmp/c.log 2>&1; rc=$?; "
                   "echo \"@files $n\"; echo \"@check $rc\"; grep -v ': OK' /tmp/c.log | head -3", 180)
    nfiles = int(first(out, "files", "0") or 0)
    expect(first(out, "check") == "0", f"files written around the migration fail their checksums: {out!r}")
    expect(nfiles > 0, f"no completed files on host2: {out!r}")
    guest_ok(dst.s, "umount /mnt && mount -t ext2 -o ro /dev/vda /mnt && md5sum -c /mnt/done > /dev/null && "
             "umount /mnt", 180, "remount + verify on host2")
    summary = fsck_clean(dst.s, where=" on host2")
    rc, lines = ctx.sh(f"run_once dmig-lock 30000 " + " ".join(q(a) for a in ctx.vmm_run(
        cpus="boot=1,max=1", memory="256M", extra=["--disk", f"path={img}"])), 60)
    expect(any("lock" in e.lower() or "in use" in e.lower() for e in tagged(lines, "err")),
           f"a third VMM could open the disk while host2 runs the guest: {tagged(lines, 'err')[:2]!r}")
    st, out = dst.s.run("dmesg | grep -i -e 'EXT4-fs error' -e 'I/O error' -e 'Call trace' | head -3")
    expect(not out, "guest kernel errors after the migration: " + " / ".join(out))
    ctx.note(f"  {nfiles} files written with fsync around the migration, all intact on host2; e2fsck: "
             + " ".join(summary)[:160])
    dst.s.send("poweroff -f")
    dst.s.wait_exit(30)
    ctx.sh(f"rm -f {q(img)}", 30)
