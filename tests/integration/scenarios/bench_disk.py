"""Bench tier: virtio-blk, ours vs the peer QEMU (virtio-blk-device on MMIO, aio=io_uring, cache=none),
copies of one image, same test host, same run, both guests up and their runs interleaved (median of
3 each); measured in the guest by tests/guest/blkbench.c (O_DIRECT)."""
from harness.scenario import PEER_CPU, Fail, expect, first, q, scenario, tagged

BOOT_TIMEOUT = 180
IMG = "/tmp/bench-disk.img"
IMG_PEER = "/tmp/bench-disk-peer.img"
IMG_MB = 256
SECS = 5
ROUNDS = 3
CMDLINE = "console=ttyAMA0 quiet"
# (metric, mode, block size, queue depth)
METRICS = [
    ("blk-randread-qd1", "randread", 4096, 1),
    ("blk-randread-qd32", "randread", 4096, 32),
    ("blk-randwrite-qd1", "randwrite", 4096, 1),
    ("blk-randwrite-qd32", "randwrite", 4096, 32),
    ("blk-seqread", "seqread", 1 << 20, 1),
    ("blk-seqwrite", "seqwrite", 1 << 20, 1),
]


def _cpu_ticks(ctx, pid):
    st, out = ctx.sh(f"cut -d' ' -f14,15 /proc/{int(pid)}/stat; getconf CLK_TCK 2>/dev/null || echo 100", 30)
    u, s = out[0].split()[:2]
    return int(u) + int(s), int(out[1]) if len(out) > 1 and out[1].strip().isdigit() else 100


def _boot(ctx, who, argv):
    s = ctx.session(f"bench-{who}", argv)
    s.start()
    s.wait_for("GUEST-READY", BOOT_TIMEOUT)
    st, out = s.run("i=0; while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; ls /dev/vda", 60)
    expect(st == 0, f"{who}: no /dev/vda in the guest: {out!r}")
    return s


def _run(ctx, s, who, metric, mode, bs, qd):
    """One blkbench run in the guest: (IOPS, MB/s, the VMM's CPU µs per I/O)."""
    t0, hz = _cpu_ticks(ctx, s.pid)
    st, out = s.run(f"blkbench /dev/vda {mode} {bs} {qd} {SECS}", SECS + 120)
    t1, _ = _cpu_ticks(ctx, s.pid)
    line = first(out, "bench")
    expect(st == 0 and line, f"{who} {metric}: blkbench failed: {out[-3:]!r}")
    kv = dict(w.split("=", 1) for w in line.split())
    ops = int(kv["ops"])
    return float(kv["iops"]), float(kv["mbps"]), (t1 - t0) / hz * 1e6 / max(ops, 1)


def _off(s):
    s.send("poweroff -f")
    if not s.wait_exit(30).exited_ok:
        s.stop()


@scenario("disk", tier="bench", needs_peer=True)
def bench_disk(ctx):
    """4 KiB random IOPS at QD1/QD32 and 1 MiB sequential throughput, ours vs QEMU, plus VMM CPU µs per I/O."""
    st, out = ctx.sh(f"rm -f {IMG} && dd if=/dev/urandom of={IMG} bs=1M count={IMG_MB} 2>&1 | tail -1", 300)
    expect(st == 0, f"cannot create {IMG}: {out!r}")
    ctx.sh(f"cp {IMG} {IMG_PEER}", 300)
    ours_argv = ctx.vmm_run(cpus="boot=2,max=2", memory="512M", cmdline=CMDLINE,
                            extra=["--disk", f"path={IMG},cache=none"])
    peer_argv = ctx.peer_argv + ["-M", "virt,gic-version=3", "-accel", "kvm", "-cpu", PEER_CPU, "-smp", "2",
                                 "-m", "512", "-nodefaults", "-display", "none", "-serial", "stdio",
                                 "-kernel", ctx.image, "-initrd", ctx.initrd, "-append", CMDLINE,
                                 "-drive", f"file={IMG_PEER},if=none,id=d0,format=raw,aio=io_uring,cache=none",
                                 "-device", "virtio-blk-device,drive=d0"]
    # Both guests up at once (each on its own copy of the image), their runs interleaved and
    # the median of ROUNDS taken: drift in the shared host's load hits both alike.
    ours_s, peer_s = _boot(ctx, "ours", ours_argv), _boot(ctx, "peer", peer_argv)
    for metric, mode, bs, qd in METRICS:
        runs = {"ours": [], "peer": []}
        for _ in range(ROUNDS):
            runs["ours"].append(_run(ctx, ours_s, "ours", metric, mode, bs, qd))
            runs["peer"].append(_run(ctx, peer_s, "peer", metric, mode, bs, qd))
        k = 0 if bs == 4096 else 1
        (oi, om, oc), (pi, pm, pc) = (sorted(runs[w], key=lambda r: r[k])[ROUNDS // 2] for w in ("ours", "peer"))
        ctx.note(f"  {metric} runs: ours " + " ".join(f"{r[k]:.0f}" for r in runs["ours"])
                 + ", peer " + " ".join(f"{r[k]:.0f}" for r in runs["peer"]))
        if bs == 4096:
            ctx.emit(f"bench: {metric} ours={oi:.0f}iops peer={pi:.0f}iops ratio={oi / pi:.2f} "
                     f"cpu_us_per_io ours={oc:.1f} peer={pc:.1f}")
        else:
            ctx.emit(f"bench: {metric} ours={om:.1f}MB/s peer={pm:.1f}MB/s ratio={om / pm:.2f} "
                     f"cpu_us_per_io ours={oc:.1f} peer={pc:.1f}")
    _off(ours_s)
    _off(peer_s)
    ctx.sh(f"rm -f {IMG} {IMG_PEER}", 30)
