"""Bench tier: live migration of a 512 MiB guest between two hosts (network
namespaces in the test host), ours vs QEMU over plain TCP in the same run.

  migrate-downtime-*  QEMU's definition on both: vCPUs paused on the source -> the
                      destination has the whole state (ours: query-migrate "x-downtime-source";
                      peer: "downtime"). Ours until the guest runs on the destination
                      (its "downtime", load and resume included) is printed in a note.
  migrate-total-*     query-migrate "total-time" of both (start -> completed).
  migrate-bytes-busy  query-migrate ram "transferred" (bytes on the wire).
  idle: the guest sits at its shell; busy: it rewrites 16 MiB of memory all the time and
  keeps 256 MiB of random data resident. Each VM is booted once and migrated back and
  forth between host1 and host2 (a fresh destination process each time); medians of 5.
  The peer runs with QEMU's defaults, and once more with multifd + zstd (reported as
  `peer-multifd` in the notes line of each metric).
"""
import json
import statistics

from harness.scenario import PEER_CPU, Fail, expect, q, scenario
from scenarios.hotplug import BOOT_TIMEOUT
from scenarios.migrate import H1, H2, Guest, Hosts, Incoming

RUNS = 5
PEER_PORT = 7481
CMDLINE = "console=ttyAMA0 quiet"
DIRTY = ("mkdir -p /m && mount -t tmpfs -o size=300m t /m && "
         "dd if=/dev/urandom of=/m/blob bs=1M count=256 2>/dev/null && "
         "dd if=/dev/urandom of=/pat bs=1M count=16 2>/dev/null && echo ok")


def _qmp(ctx, sock, cmd, args=None, timeout=60):
    extra = f" {q(args)}" if args is not None else ""
    return ctx.sh(f"{q(ctx.vmm)} qmp --api {q(sock)} {cmd}{extra}", timeout)


def _info(out):
    text = "".join(out)
    try:
        return json.loads(text[text.index("{"):])
    except (ValueError, json.JSONDecodeError):
        return {}


class Peer:
    """A QEMU guest on a host, started with -incoming or booted."""

    def __init__(self, ctx, hosts, name, host, incoming=None):
        self.ctx, self.name = ctx, name
        self.sock = f"/tmp/{name}.qmp"
        ctx.sh(f"rm -f {q(self.sock)}", 10)
        argv = hosts.ns(host) + ctx.peer_argv + [
            "-M", "virt,gic-version=3", "-accel", "kvm", "-cpu", PEER_CPU, "-smp", "2", "-m", "512",
            "-nodefaults", "-display", "none", "-serial", "stdio", "-kernel", ctx.image, "-initrd", ctx.initrd,
            "-append", CMDLINE, "-qmp", f"unix:{self.sock},server=on,wait=off"]
        if incoming:
            argv += ["-incoming", incoming]
        self.s = ctx.session(name, argv, label="qemu")
        self.s.start()
        if not incoming:
            self.s.wait_for("GUEST-READY", BOOT_TIMEOUT)
        else:
            for _ in range(100):
                st, _out = _qmp(ctx, self.sock, "query-status")
                if st == 0:
                    break
                ctx.sh("sleep 0.1", 10)

    def qmp(self, cmd, args=None, timeout=60):
        return _qmp(self.ctx, self.sock, cmd, args, timeout)

    def guest(self, cmd, timeout=30):
        return self.s.run(cmd, timeout)


def _peer_caps(p, multifd):
    if multifd:
        p.qmp("migrate-set-capabilities", '{"capabilities":[{"capability":"multifd","state":true}]}')
        p.qmp("migrate-set-parameters", '{"multifd-compression":"zstd"}')


def _peer_migrate(ctx, src, dst_addr, multifd):
    st, out = src.qmp("migrate", f'{{"uri":"tcp:{dst_addr}:{PEER_PORT}"}}')
    expect(st == 0, f"peer migrate: {' '.join(out)[:200]}")
    for _ in range(1200):
        _st, out = src.qmp("query-migrate")
        info = _info(out)
        if info.get("status") in ("completed", "failed", "cancelled"):
            break
        ctx.sh("sleep 0.1", 10)
    expect(info.get("status") == "completed", f"peer migration: {info}")
    return info["downtime"], info["total-time"], info["ram"]["transferred"]


# The busy workload with its pid kept, so that a lost one can be told from one between two cats.
BUSY_PID = "(while :; do cat /pat > /busy; done) > /dev/null 2>&1 & echo $! > /busy.pid; echo busy"


def _keep_busy(ctx, guest, who):
    """The busy workload must run before every busy migration: a guest that lost it
    (the peer's runs 2 and 3 once migrated like idle ones) gets it again, and says so."""
    st, out = guest(f"kill -0 $(cat /busy.pid) 2>/dev/null && echo running || {{ {BUSY_PID}; }}", 30)
    if "running" not in out:
        ctx.note(f"  {who}: the busy workload was not running; restarted it ({' '.join(out)[:80]})")


def _ours_migrate(ctx, src, dst):
    st, out = src.vmm("migrate", "--to", f"{dst.addr}:7480", "--plain", timeout=600)
    expect(st == 0, f"ours: vmm migrate: {' / '.join(out)[-300:]}")
    line = next((ln for ln in out if ln.startswith("migration completed")), "")
    try:
        total = int(line.split("total ")[1].split(" ms")[0])
        full = int(line.split("downtime ")[1].split(" ms")[0])
        down = int(line.split("(")[1].split(" ms")[0])
        mib = float(line.split("), ")[1].split(" MiB")[0])
    except (IndexError, ValueError):
        raise Fail(f"ours: cannot read the summary line: {line!r}")
    # Where the downtime went (the source's own log line).
    for what in ("switchover: ", "dirty log (bitmap", "zstd: "):
        _rc, sw = ctx.sh(f"grep -h {q(what)} {q(ctx.runner.ex.T)}/s/{src.s.name}/err | tail -n 1", 10)
        ctx.note("    " + (sw[0].split("info: ", 1)[-1] if sw else f"no '{what}' line in the source's log"))
    return down, total, int(mib * 1048576), full


def _run_ours(ctx, hosts, busy):
    res = []
    tag = "busy" if busy else "idle"
    vm = Guest(ctx, hosts, f"bm-o-{tag}", host=0, cpus="boot=2,max=2")
    st, out = vm.guest(DIRTY, 300)
    expect(st == 0 and "ok" in out, f"ours: guest could not dirty memory: {out!r}")
    if busy:
        vm.guest(BUSY_PID, 30)
    for i in range(RUNS):
        host = 1 - (i % 2)
        if busy:
            _keep_busy(ctx, vm.guest, f"ours busy run {i + 1}")
        dst = Incoming(ctx, hosts, f"bm-o-{tag}{i}", host=host, plain=True)
        res.append(_ours_migrate(ctx, vm, dst))
        vm.s.wait_exit(60)
        vm = dst
        ctx.note(f"  ours {tag} run {i + 1}: downtime {res[-1][0]} ms (until the guest ran on the destination "
                 f"{res[-1][3]} ms), total {res[-1][1]} ms, {res[-1][2] / 1048576:.1f} MiB")
    vm.s.stop()
    return res


def _run_peer(ctx, hosts, busy, multifd):
    res = []
    tag = ("busy" if busy else "idle") + ("-mf" if multifd else "")
    src = Peer(ctx, hosts, f"bm-p-{tag}", 0)
    st, out = src.guest(DIRTY, 300)
    expect(st == 0 and "ok" in out, f"peer: guest could not dirty memory: {out!r}")
    if busy:
        src.guest(BUSY_PID, 30)
    for i in range(RUNS):
        host = 1 - (i % 2)
        if busy:
            _keep_busy(ctx, src.guest, f"peer {tag} run {i + 1}")
        # Capabilities must be set before the destination listens: -incoming defer, then migrate-incoming.
        dst = Peer(ctx, hosts, f"bm-p-{tag}{i}", host, incoming="defer")
        _peer_caps(src, multifd)
        _peer_caps(dst, multifd)
        st, out = dst.qmp("migrate-incoming", f'{{"uri":"tcp:{(H1, H2)[host]}:{PEER_PORT}"}}')
        expect(st == 0, f"peer migrate-incoming: {' '.join(out)[:200]}")
        res.append(_peer_migrate(ctx, src, (H1, H2)[host], multifd))
        src.qmp("quit")
        src.s.stop()
        src = dst
        ctx.note(f"  peer{' multifd+zstd' if multifd else ''} {tag} run {i + 1}: downtime {res[-1][0]} ms, "
                 f"total {res[-1][1]} ms, {res[-1][2] / 1048576:.1f} MiB")
    src.qmp("quit")
    src.s.stop()
    return res


@scenario("migrate", tier="bench", needs_peer=True)
def bench_migrate(ctx):
    """Live migration downtime, total time and bytes, idle and busy, ours vs QEMU (TCP), medians of 5."""
    hosts = Hosts(ctx)
    for busy in (False, True):
        tag = "busy" if busy else "idle"
        ours = _run_ours(ctx, hosts, busy)
        peer = _run_peer(ctx, hosts, busy, multifd=False)
        peer_mf = _run_peer(ctx, hosts, busy, multifd=True)
        metrics = [("downtime", 0, "ms"), ("total", 1, "ms")] + ([("bytes", 2, "B")] if busy else [])
        for name, k, unit in metrics:
            o = statistics.median(r[k] for r in ours)
            p = statistics.median(r[k] for r in peer)
            pm = statistics.median(r[k] for r in peer_mf)
            ctx.emit(f"bench: migrate-{name}-{tag} ours={o:.0f}{unit} peer={p:.0f}{unit} "
                     f"ratio={o / p if p else float('nan'):.2f}")
            if name == "downtime":
                f = statistics.median(r[3] for r in ours)
                ctx.note(f"  migrate-downtime-{tag}: ours until the guest ran on the destination {f:.0f} ms "
                         f"(QEMU reports no such figure)")
            ctx.note(f"  migrate-{name}-{tag}: peer with multifd+zstd {pm:.0f}{unit} "
                     f"(ours/that {o / pm if pm else float('nan'):.2f})")
