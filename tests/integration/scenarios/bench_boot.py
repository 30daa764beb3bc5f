"""Bench tier: boot time of ours vs the peer QEMU, in the same test host."""
import statistics

from harness.scenario import Fail, q, scenario

RUNS = 3
TIMEOUT_S = 180
CMDLINE = "console=ttyAMA0 quiet"


def _time_to_init(ctx, label, i, argv):
    """ms from exec to the guest's GUEST-INIT line, or (None, why)."""
    log = f"{ctx.ex.T}/bench/{label}-{i}.log"
    rc, lines = ctx.sh(f"ttl {q(log)} {TIMEOUT_S * 1000} " + " ".join(q(a) for a in argv), TIMEOUT_S + 60)
    ms = next((int(ln) for ln in lines if ln.strip().isdigit()), None)
    if rc == 0 and ms is not None:
        child = next((ln for ln in lines if ln.startswith("l1util: child ")), "")
        ctx.note(f"  {label} run {i + 1}: {ms} ms ({child[len('l1util: '):] or 'child status unknown'})")
        return ms, None
    why = "; ".join(ln for ln in lines if ln.startswith("l1util:")) or f"status {rc}"
    _rc, tail = ctx.sh(f"tail -n 12 {q(log)}", 30)
    return None, (why, tail)


@scenario("boot", tier="bench", needs_vmm=False, needs_peer=True)
def bench_boot(ctx):
    """Process start to guest /init: ours vs QEMU (-accel kvm), medians of 3."""
    ours_argv = ctx.vmm_run(cpus="boot=2,max=2", memory="512M", cmdline=CMDLINE)
    peer_argv = ctx.peer_argv + ["-M", "virt,gic-version=3", "-accel", "kvm", "-cpu", "host", "-smp", "2",
                                 "-m", "512", "-nodefaults", "-display", "none", "-serial", "stdio",
                                 "-kernel", ctx.image, "-initrd", ctx.initrd, "-append", CMDLINE]
    ours, peer = [], []
    ours_fail = None if ctx.have_vmm else (ctx.vmm_missing_why, [])
    peer_fail = None
    for i in range(RUNS):       # interleaved, so drift of the test host hits both alike
        if ours_fail is None:
            ms, ours_fail = _time_to_init(ctx, "ours", i, ours_argv)
            if ms is not None:
                ours.append(ms)
        if peer_fail is None:
            ms, peer_fail = _time_to_init(ctx, "peer", i, peer_argv)
            if ms is not None:
                peer.append(ms)
    o = statistics.median(ours) if ours_fail is None and ours else None
    p = statistics.median(peer) if peer_fail is None and peer else None
    ratio = f"{o / p:.2f}" if o and p else "n/a"
    ctx.emit(f"bench: boot ours={f'{o:.0f}ms' if o else 'n/a'} peer={f'{p:.0f}ms' if p else 'n/a'} "
             f"ratio={ratio}")
    # Where our time goes: the VMM's own share (process start -> vCPUs running);
    # the rest is the guest kernel booting, the same kernel for both.
    if ours_fail is None:
        log = f"{ctx.ex.T}/bench/ours-setup.log"
        ctx.sh(f"ttl {q(log)} {TIMEOUT_S * 1000} env VMM_LOG=debug " + " ".join(q(a) for a in ours_argv),
               TIMEOUT_S + 60)
        _rc, lines = ctx.sh(f"grep -a 'vCPUs started' {q(log)}", 30)
        ms = next((ln.split("started ")[1].split(" ms")[0] for ln in lines if "vCPUs started" in ln), None)
        if ms:
            ctx.emit(f"bench: boot-vmm-setup ours={float(ms):.0f}ms peer=none ratio=none")
    problems, details = [], []
    for who, fail in (("ours", ours_fail), ("peer", peer_fail)):
        if fail:
            why, tail = fail
            problems.append(f"{who}: {why}")
            if tail:
                details.append(f"== {who}: console/log tail")
                details += [f"| {ln}" for ln in tail]
    if problems:
        raise Fail("; ".join(problems), details=details, dump=[])
