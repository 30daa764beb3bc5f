"""Integration tier: live migration between two hosts (network namespaces in the
test host, joined by a veth pair), with asymmetrically plugged vCPUs, TLS, hot-plug
during the move and failures (issue "Live migration: vmm migrate --to host2 ...")."""
import random

from harness.scenario import Fail, Status, expect, first, q, scenario
from scenarios.hotplug import BOOT_TIMEOUT, HotplugVM
from scenarios.snapshot import WORKLOAD, Restored, _probe, _snapshot

H1, H2 = "10.99.0.1", "10.99.0.2"
PORT = 7480
# A second workload that rewrites 16 MiB of guest memory all the time.
BUSY = "(while :; do cat /pat > /busy; done) > /dev/null 2>&1 & echo busy"


class Hosts:
    """host1 and host2: two network namespaces (holder processes) joined by veth."""

    def __init__(self, ctx):
        self.ctx = ctx
        if hasattr(ctx.runner, "mig_hosts"):
            self.pids = ctx.runner.mig_hosts
            return
        pids = []
        for _ in range(2):
            _rc, out = ctx.sh("unshare -n sleep 1000000 > /dev/null 2>&1 & echo \"@pid $!\"", 30)
            pid = first(out, "pid")
            expect(pid, f"cannot create a network namespace: {out!r}")
            pids.append(pid)
        st, out = ctx.sh(f"sleep 0.3; l1util veth va {pids[0]} vb {pids[1]} && "
                         f"nsenter -t {pids[0]} -n sh -c 'ip link set lo up && ip addr add {H1}/24 dev va && "
                         f"ip link set va up' && "
                         f"nsenter -t {pids[1]} -n sh -c 'ip link set lo up && ip addr add {H2}/24 dev vb && "
                         f"ip link set vb up' && nsenter -t {pids[0]} -n ping -c 1 -W 5 {H2} > /dev/null && "
                         f"echo @ok", 60)
        expect("@ok" in out, f"cannot set up host1/host2 (veth {H1} <-> {H2}): {out!r}")
        self.pids = ctx.runner.mig_hosts = pids

    def ns(self, host):
        return ["nsenter", "-t", self.pids[host], "-n"]


def tls(ctx, name):
    return f"{ctx.ex.V}/tls/{name}"


class Guest(HotplugVM):
    """A guest booted on host1 (or host2)."""

    def __init__(self, ctx, hosts, name, host=0, cpus="boot=2,max=6", memory="512M"):
        self.ctx = ctx
        self.sock = f"/tmp/{name}.qmp"
        ctx.sh(f"rm -f {q(self.sock)}", 10)
        self.s = ctx.session(name, hosts.ns(host) + ctx.vmm_run(cpus=cpus, memory=memory,
                                                                 extra=["--api-socket", self.sock]))
        self.s.start()
        self.s.wait_for("GUEST-READY", BOOT_TIMEOUT)


class Incoming(HotplugVM):
    """`vmm run --incoming` on a host: no guest configuration, it comes from the source."""

    def __init__(self, ctx, hosts, name, host=1, creds="good", plain=False, defer=False):
        self.ctx = ctx
        self.sock = f"/tmp/{name}.qmp"
        self.addr = (H1, H2)[host]
        ctx.sh(f"rm -f {q(self.sock)}", 10)
        sec = ["--plain"] if plain else ["--tls-dir", tls(ctx, creds)]
        where = ["defer"] if defer else [f"tcp:{self.addr}:{PORT}", *sec]
        self.s = ctx.session(name, hosts.ns(host) + [ctx.vmm, "run", "--incoming", *where,
                                                     "--api-socket", self.sock])
        self.s.start()
        if defer:
            # QMP migrate-incoming gives the address and credentials.
            rc, out = ctx.sh(f"l1util wait -p {self.s.pid} $T/s/{name}/err 'waiting for QMP' 20000", 40)
            expect(rc == 0, f"`vmm run --incoming defer` did not start: {self.s.status()}")
            creds_arg = "" if plain else tls(ctx, creds)
            st, out = self.qmp("migrate-incoming", f'{{"uri":"tcp:{self.addr}:{PORT}","tls-creds":"{creds_arg}"}}')
            expect(st == 0, f"migrate-incoming: {' '.join(out)[:200]}")
        rc, out = ctx.sh(f"l1util wait -p {self.s.pid} $T/s/{name}/err 'waiting for an incoming' 20000", 40)
        expect(rc == 0, f"`vmm run --incoming` did not start listening: {self.s.status()}; "
               + " / ".join(ctx.sh(f"tail -n 5 $T/s/{name}/err", 10)[1]))


def migrate(src, dst, creds="good", extra=(), expect_ok=True, timeout=600):
    args = ["migrate", "--to", f"{dst.addr}:{PORT}"]
    args += ["--plain"] if creds is None else ["--tls-dir", tls(src.ctx, creds)]
    st, out = src.vmm(*args, *extra, timeout=timeout)
    src.ctx.note("  " + " / ".join(ln for ln in out if "migration" in ln or "error" in ln)[:300])
    if expect_ok:
        expect(st == 0, f"`vmm migrate` to {dst.addr}: status {st}, {' / '.join(out)[-400:]} (expected success)")
    return st, out


def _check_guest(vm, enabled, c_before, what):
    vm.wait_sysfs("enabled", enabled)
    vm.wait_sysfs("online", enabled)
    c, u, _d = _probe(vm)
    expect(c >= c_before, f"{what}: workload counter went back from {c_before} to {c}")
    st, out = vm.guest("md5sum -c /pat.md5", 120)
    expect(st == 0, f"{what}: guest memory pattern: md5sum -c says {out!r} (status {st})")
    c2, _u2, _d2 = _probe(vm)
    expect(c2 > c, f"{what}: the workload does not count on ({c} then {c2})")
    return c2, u


MIGRATED_EXIT = 6  # README, "Exit status": the guest migrated away


def _source_gone(src, what):
    st = src.s.wait_exit(60)
    expect(not st.running and st.kind == "exit" and st.code == MIGRATED_EXIT,
           f"{what}: the source vmm after a completed migration: {st} (expected exit status {MIGRATED_EXIT})")


@scenario("migrate-asymmetric", tier="integration")
def migrate_asymmetric(ctx):
    """2 of 6, cores 3-5 plugged, 3 unplugged, busy workload: host1 -> host2 over TLS, back, plug/unplug
    there, then a snapshot of the migrated guest restores."""
    hosts = Hosts(ctx)
    src = Guest(ctx, hosts, "mig-a")
    for c in (3, 4, 5):
        src.plug(c)
    src.wait_sysfs("enabled", "0-1,3-5")
    for c in (3, 4, 5):
        src.online(c)
    src.wait_sysfs("online", "0-1,3-5")
    src.unplug(3)
    src.wait_sysfs("enabled", "0-1,4-5")
    st, out = src.guest(WORKLOAD, 120)
    expect(st == 0 and "started" in out, f"guest workload did not start: {out!r}")
    src.guest(BUSY, 30)
    c0, u0, _ = _probe(src)
    dst = Incoming(ctx, hosts, "mig-b", host=1)
    _st, out = migrate(src, dst)
    # The test host loads tls.ko and gcm(aes): OpenSSL hands the send side to kernel TLS.
    expect(any("TLS (kernel)" in ln for ln in out),
           f"host1 -> host2 did not send with kernel TLS: {' / '.join(ln for ln in out if 'completed' in ln)[:300]}")
    _source_gone(src, "host1 -> host2")
    c1, u1 = _check_guest(dst, "0-1,4-5", c0, "on host2")
    expect(u1 - u0 < 120, f"guest uptime jumped from {u0:.1f} to {u1:.1f} s across the migration")
    st, out = dst.qmp("query-hotpluggable-cpus")
    expect(st == 0 and "/machine/peripheral/core4" in "".join(out) and "core3" not in "".join(out),
           f"host2's query-hotpluggable-cpus: expected core4 plugged and core3 not, saw {' '.join(out)[:300]}")
    # Back to host1, then plug and unplug there.
    back = Incoming(ctx, hosts, "mig-c", host=0, defer=True)
    migrate(dst, back)
    _source_gone(dst, "host2 -> host1")
    c2, _u2 = _check_guest(back, "0-1,4-5", c1, "back on host1")
    back.plug(3)
    back.wait_sysfs("enabled", "0-1,3-5")
    back.online(3)
    back.wait_sysfs("online", "0-1,3-5")
    back.runs_on(3)
    back.unplug(4)
    back.wait_sysfs("enabled", "0-1,3,5")
    # A snapshot of the twice-migrated guest restores.
    snapdir = "/tmp/snap-mig"
    ctx.sh(f"rm -rf {q(snapdir)}", 30)
    _snapshot(back, snapdir, stop=True)
    back.s.wait_exit(60)
    r = Restored(ctx, "mig-r", snapdir)
    _check_guest(r, "0-1,3,5", c2, "restored after two migrations")
    st, out = r.guest("dmesg | grep -i -e 'WARNING' -e 'Call trace' -e 'BUG' -e 'failed to come online' | head -5")
    expect(not out, "guest kernel warnings after the migrations: " + " / ".join(out[:3]))
    r.stop()


@scenario("migrate-tls-refusals", tier="integration")
def migrate_tls_refusals(ctx):
    """Wrong CA, no client certificate, plain TCP to a TLS destination: refused before any RAM, the
    source runs on; then the same destination takes a good migration."""
    hosts = Hosts(ctx)
    src = Guest(ctx, hosts, "tls-a", cpus="boot=2,max=4")
    st, out = src.guest(WORKLOAD, 120)
    expect(st == 0 and "started" in out, f"guest workload did not start: {out!r}")
    dst = Incoming(ctx, hosts, "tls-b", host=1)
    problems = []
    for label, creds, words in (("wrong CA", "wrongca", ["certificate", "verify", "handshake", "alert"]),
                                ("no client certificate", "noclient", ["client-cert.pem", "client"]),
                                ("plain TCP to a TLS destination", None, ["refused", "closed", "reset", "hello",
                                                                          "handshake", "end of"])):
        c0, _u, _d = _probe(src)
        st, out = migrate(src, dst, creds=creds, expect_ok=False, timeout=120)
        text = " ".join(out).lower()
        ctx.note(f"  {label}: status {st}: {text[-200:]}")
        if st == 0:
            problems.append(f"{label}: the migration succeeded")
            continue
        if not any(w in text for w in words):
            problems.append(f"{label}: the error does not say why ({', '.join(words)}): {text[-200:]!r}")
        _st, qm = src.qmp("query-migrate")
        qm = " ".join(qm)
        if '"transferred":0' not in qm.replace(" ", "") and '"status":"failed"' in qm.replace(" ", ""):
            problems.append(f"{label}: RAM was sent before the refusal: {qm[:200]}")
        c1, _u1, _d1 = _probe(src)
        if c1 <= c0:
            problems.append(f"{label}: the source guest stopped counting ({c0} then {c1})")
        if not dst.s.status().running:
            problems.append(f"{label}: the destination ended ({dst.s.status()})")
            break
    st, out = src.guest("md5sum -c /pat.md5", 120)
    expect(st == 0, f"source guest memory after the refusals: {out!r}")
    if problems:
        raise Fail(f"{len(problems)} refusal(s) mishandled, first: {problems[0]}", details=problems)
    migrate(src, dst)
    _source_gone(src, "the good migration after the refusals")
    _check_guest(dst, "0-1", 0, "on host2 after the refusals")
    dst.stop()


@scenario("migrate-failures", tier="integration")
def migrate_failures(ctx):
    """Kill the destination at 20 random points of a migration: the source guest runs on every time
    (its memory checksum holds) and a migration to a fresh destination then succeeds."""
    hosts = Hosts(ctx)
    src = Guest(ctx, hosts, "fail-a", cpus="boot=2,max=4")
    st, out = src.guest(WORKLOAD, 120)
    expect(st == 0 and "started" in out, f"guest workload did not start: {out!r}")
    src.guest(BUSY, 30)
    rnd = random.Random(20261201)
    problems, statuses = [], {}
    for i in range(20):
        dst = Incoming(ctx, hosts, f"fail-b{i}", host=1)
        c0, _u, _d = _probe(src)
        delay = rnd.uniform(0.0, 3.0)
        st, out = src.qmp("migrate", f'{{"uri":"tcp:{H2}:{PORT}","tls-creds":"{tls(ctx, "good")}"}}')
        if st != 0:
            problems.append(f"kill {i}: migrate refused: {' '.join(out)[:200]}")
            dst.s.stop()
            continue
        ctx.sh(f"sleep {delay:.2f}", 30)
        _st, qm = src.qmp("query-migrate")
        phase = next((w for w in ("setup", "active", "device", "completed", "failed") if f'"{w}"' in " ".join(qm)),
                     "?")
        dst.s.kill("KILL")
        dst.s.wait_exit(30)
        # Wait for the source to notice.
        final = "?"
        for _ in range(120):
            _st, qm = src.qmp("query-migrate")
            text = "".join(qm).replace(" ", "")
            final = next((w for w in ("completed", "failed", "cancelled") if f'"status":"{w}"' in text), None)
            if final:
                break
            ctx.sh("sleep 0.5", 10)
        statuses[phase] = statuses.get(phase, 0) + 1
        if final == "completed":
            problems.append(f"kill {i} ({phase}, after {delay:.2f} s): completed although the destination "
                            f"was killed")
            break
        if final is None:
            problems.append(f"kill {i} ({phase}): the source never noticed the destination's end")
            break
        if not src.s.status().running:
            problems.append(f"kill {i} ({phase}): the source vmm ended ({src.s.status()})")
            break
        c1, _u1, _d1 = _probe(src)
        if c1 <= c0:
            problems.append(f"kill {i} ({phase}): the source guest stopped counting ({c0} then {c1})")
    ctx.note(f"  destination killed during: {statuses}")
    st, out = src.guest("md5sum -c /pat.md5", 120)
    expect(st == 0, f"source guest memory after 20 killed migrations: {out!r}")
    if problems:
        raise Fail(f"{len(problems)} of 20 killed migrations mishandled, first: {problems[0]}", details=problems)
    dst = Incoming(ctx, hosts, "fail-ok", host=1)
    migrate(src, dst)
    _source_gone(src, "the migration after 20 failures")
    _check_guest(dst, "0-1", 0, "on host2 after the failures")
    dst.stop()


def _wait_migrate(vm, pred, what, timeout=300):
    for _ in range(timeout * 2):
        _st, out = vm.qmp("query-migrate")
        text = "".join(out).replace(" ", "")
        if pred(text):
            return text
        if '"status":"failed"' in text or '"status":"cancelled"' in text:
            raise Fail(f"the migration ended while waiting for {what}: {text[:300]}")
        vm.ctx.sh("sleep 0.5", 10)
    raise Fail(f"no {what} within {timeout} s")


@scenario("migrate-hotplug-during", tier="integration")
def migrate_hotplug_during(ctx):
    """device_add and device_del while the migration runs, at an early pass and right before the
    switchover (held in pre-switchover): the destination's guest sees every change, and a device_del
    issued on the source completes there with DEVICE_DELETED."""
    hosts = Hosts(ctx)
    src = Guest(ctx, hosts, "hpd-a")
    for c in (4, 5):
        src.plug(c)
    src.wait_sysfs("enabled", "0-1,4-5")
    for c in (4, 5):
        src.online(c)
    src.wait_sysfs("online", "0-1,4-5")
    st, out = src.guest(WORKLOAD, 120)
    expect(st == 0 and "started" in out, f"guest workload did not start: {out!r}")
    src.guest(BUSY, 30)
    c0, _u, _d = _probe(src)
    dst = Incoming(ctx, hosts, "hpd-b", host=1)
    st, out = src.qmp("migrate", f'{{"uri":"tcp:{H2}:{PORT}","tls-creds":"{tls(ctx, "good")}",'
                                 f'"x-hold-switchover":true}}')
    expect(st == 0, f"migrate: {' '.join(out)[:300]}")
    # Early: pass 1 is being copied.
    _wait_migrate(src, lambda t: '"status":"active"' in t, "an active pass")
    src.plug(3)
    src.unplug(5)
    src.wait_sysfs("enabled", "0-1,3-4")
    src.online(3)
    src.wait_sysfs("online", "0-1,3-4")
    text = _wait_migrate(src, lambda t: '"status":"pre-switchover"' in t, "pre-switchover")
    expect('"status":"completed"' not in text, "the migration completed before the late changes")
    # A client of the destination waits for the unplug that the source will request.
    ctx.sh(f"({q(ctx.vmm)} qmp --api {q(dst.sock)} --wait-event DEVICE_DELETED --timeout 240 query-status "
           f"> /tmp/hpd-dd.out 2>&1; echo \"exit $?\" >> /tmp/hpd-dd.out) &", 10)
    # Right before the stop-and-copy: plug 2, ask for 4 to go, and switch over at once.
    src.plug(2)
    st, out = src.qmp("device_del", '{"id":"core4"}')
    expect(st == 0, f"device_del core4 during the migration: {' '.join(out)[:200]}")
    st, out = src.qmp("migrate-continue", '{"state":"pre-switchover"}')
    expect(st == 0, f"migrate-continue: {' '.join(out)[:200]}")
    _source_gone(src, "after the hot-plug during the migration")
    # The destination's guest: 2 plugged (to online), 4 ejected there, 3 online, 5 gone.
    dst.wait_sysfs("enabled", "0-3", timeout=90)
    dst.online(2)
    dst.wait_sysfs("online", "0-3")
    dst.runs_on(2)
    dd = []
    for _ in range(120):
        _st, dd = ctx.sh("cat /tmp/hpd-dd.out", 10)
        if any(ln.startswith("exit ") for ln in dd):
            break
        ctx.sh("sleep 0.5", 10)
    expect(any("DEVICE_DELETED" in ln and "core4" in ln for ln in dd),
           f"a QMP client of host2 did not see DEVICE_DELETED for core4: {' / '.join(dd)[:300]}")
    err = ctx.sh("cat $T/s/hpd-b/err", 10)[1]
    st, out = dst.qmp("query-hotpluggable-cpus")
    text = "".join(out)
    expect("core4" not in text and "core2" in text and "core3" in text,
           f"host2's query-hotpluggable-cpus: expected core2 and core3 plugged, core4 gone; saw {text[:300]}")
    ctx.note("  host2 log: " + " / ".join(ln for ln in err if "eject" in ln or "unplug" in ln or "DELETED" in ln)[:300])
    c1, _u1 = _check_guest(dst, "0-3", c0, "on host2 after hot-plug during the migration")
    dst.stop()
