"""Bench tier: snapshot and restore of a 512 MiB guest, ours vs QEMU in the same test host.

  snapshot  pause -> state and memory durable on disk.
            ours: `vmm snapshot` (pause, write, fsync, rename; its own clock);
            peer: QMP stop, migrate to "exec:cat > FILE", wait for completion, sync.
  restore   process start -> the guest answers a command on its console.
            ours: `vmm restore --from DIR` (memory mapped lazily);
            peer: qemu-system-aarch64 -incoming "exec:cat FILE".
"""
import json
import statistics

from harness.scenario import PEER_CPU, Fail, expect, q, scenario
from scenarios.hotplug import BOOT_TIMEOUT, HotplugVM

RUNS = 3
CMDLINE = "console=ttyAMA0 quiet"


def _peer_argv(ctx, sock, extra=()):
    return ctx.peer_argv + ["-M", "virt,gic-version=3", "-accel", "kvm", "-cpu", PEER_CPU, "-smp", "2", "-m", "512",
                            "-nodefaults", "-display", "none", "-serial", "stdio", "-kernel", ctx.image,
                            "-initrd", ctx.initrd, "-append", CMDLINE, "-qmp", f"unix:{sock},server=on,wait=off"] \
        + list(extra)


def _touch_memory(vm_run):
    """The guest dirties ~256 MiB so both sides have real memory to save."""
    st, out = vm_run("dd if=/dev/zero of=/dev/null bs=1M count=1 2>/dev/null; "
                     "mkdir -p /m && mount -t tmpfs -o size=300m t /m && "
                     "dd if=/dev/urandom of=/m/blob bs=1M count=256 2>/dev/null; echo ok", 300)
    expect(st == 0 and "ok" in out, f"guest could not dirty memory: {out!r}")


def _restore_ms(ctx, name, argv, then=""):
    """ms from starting argv to the guest answering `echo RESTORED` on the console."""
    st, out = ctx.sh(f"t0=$(l1util now); gs_start {q(name)} " + " ".join(q(a) for a in argv) + " > /dev/null && "
                     f"{then}"
                     f"gs_send {q(name)} 'echo RES\"\"TORED' && gs_wait {q(name)} RESTORED 120000 > /dev/null; "
                     f"rc=$?; t1=$(l1util now); echo \"@t $rc $((t1 - t0))\"", 200)
    t = next((ln.split()[1:] for ln in out if ln.startswith("@t ")), None)
    if not t or t[0] != "0":
        _rc, tail = ctx.sh(f"tail -n 5 $T/s/{name}/out; tail -n 5 $T/s/{name}/err; gs_status {name}", 30)
        raise Fail(f"{name}: the restored guest did not answer: {out[-3:]!r}", details=tail)
    return int(t[1])


@scenario("snapshot", tier="bench", needs_peer=True)
def bench_snapshot(ctx):
    """Snapshot (pause -> durable) and restore (start -> guest answers), ours vs QEMU, medians of 3."""
    ours_save, ours_restore, peer_save, peer_restore = [], [], [], []
    for i in range(RUNS):
        # Ours.
        snapdir = "/tmp/bench-snap"
        ctx.sh(f"rm -rf {snapdir}", 60)
        vm = HotplugVM(ctx, f"bs-ours{i}", cpus="boot=2,max=2")
        _touch_memory(vm.guest)
        st, out = vm.vmm("qmp", "snapshot-save", f'{{"path":"{snapdir}","stop":true}}', timeout=600)
        expect(st == 0, f"ours: snapshot-save failed: {out!r}")

        ours_save.append(json.loads(out[-1])["duration-ms"])
        vm.s.wait_exit(60)
        ours_restore.append(_restore_ms(ctx, f"bs-ours-r{i}", [ctx.vmm, "restore", "--from", snapdir]))
        ctx.sh(f"gs_stop bs-ours-r{i} > /dev/null; rm -rf {snapdir}", 60)

        # The peer.
        sock = f"/tmp/bs-peer{i}.qmp"
        mig = "/tmp/bench-peer.mig"
        ctx.sh(f"rm -f {sock} {mig}", 30)
        p = ctx.session(f"bs-peer{i}", _peer_argv(ctx, sock), label="qemu")
        p.start()
        p.wait_for("GUEST-READY", BOOT_TIMEOUT)
        _touch_memory(p.run)
        vmm = q(ctx.vmm)
        st, out = ctx.sh(
            f"t0=$(l1util now); {vmm} qmp --api {sock} stop > /dev/null && "
            f"{vmm} qmp --api {sock} migrate '{{\"uri\":\"exec:cat > {mig}\"}}' > /dev/null && "
            f"n=0; until {vmm} qmp --api {sock} query-migrate | grep -q '\"status\":\"completed\"'; do "
            f"n=$((n+1)); [ $n -gt 6000 ] && break; sleep 0.01; done; sync; t1=$(l1util now); "
            f"echo \"@t $n $((t1 - t0))\"", 900)
        t = next((ln.split()[1:] for ln in out if ln.startswith("@t ")), None)
        expect(t and int(t[0]) <= 6000, f"peer: migrate to file did not complete: {out[-3:]!r}")
        peer_save.append(int(t[1]))
        ctx.sh(f"{vmm} qmp --api {sock} quit > /dev/null 2>&1; gs_stop bs-peer{i} > /dev/null", 60)
        ctx.sh(f"rm -f {sock}", 30)
        # The source was stopped, so QEMU keeps the restored VM paused: `cont` it once loaded.
        cont = (f"n=0; until {vmm} qmp --api {sock} query-status 2>/dev/null | grep -q '\"status\":\"paused\"'; "
                f"do n=$((n+1)); [ $n -gt 12000 ] && break; sleep 0.01; done; {vmm} qmp --api {sock} cont > /dev/null && ")
        peer_restore.append(_restore_ms(ctx, f"bs-peer-r{i}",
                                        _peer_argv(ctx, sock, ["-incoming", f"exec:cat {mig}"]), then=cont))
        ctx.sh(f"gs_stop bs-peer-r{i} > /dev/null; rm -f {mig} {sock}", 60)
        ctx.note(f"  run {i + 1}: snapshot ours {ours_save[-1]:.0f} ms peer {peer_save[-1]} ms; "
                 f"restore ours {ours_restore[-1]} ms peer {peer_restore[-1]} ms")
    for name, o, p in (("snapshot", ours_save, peer_save), ("restore", ours_restore, peer_restore)):
        mo, mp = statistics.median(o), statistics.median(p)
        ctx.emit(f"bench: {name} ours={mo:.0f}ms peer={mp:.0f}ms ratio={mo / mp:.2f}")
