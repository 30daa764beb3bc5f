"""Bench tier: boot time of ours vs the peer QEMU, in the same test host."""
import statistics

from harness.scenario import PEER_CPU, Fail, q, scenario

RUNS = 3
TIMEOUT_S = 180
CMDLINE = "console=ttyAMA0 quiet"


FIRST_OUTPUT_RUNS = 5
# Both VMMs put the PL011 at 0x0900_0000: the same earlycon makes the kernel's first
# printk the first byte either guest prints. Without `quiet`, so that printk is shown.
FIRST_OUTPUT_CMDLINE = "console=ttyAMA0 earlycon=pl011,0x09000000"


def _time_to_init(ctx, label, i, argv, helper="ttl"):
    """ms from exec to the guest's GUEST-INIT line (helper ttl), or to the first byte on
    the guest console (helper ttfb), or (None, why)."""
    log = f"{ctx.ex.T}/bench/{label}-{i}.log"
    rc, lines = ctx.sh(f"{helper} {q(log)} {TIMEOUT_S * 1000} " + " ".join(q(a) for a in argv), TIMEOUT_S + 60)
    ms = next((int(ln) for ln in lines if ln.strip().isdigit()), None)
    if rc == 0 and ms is not None:
        child = next((ln for ln in lines if ln.startswith("l1util: child ")), "")
        ctx.note(f"  {label} {'warm-up' if i < 0 else f'run {i + 1}'}: {ms} ms ({child[len('l1util: '):] or 'child status unknown'})")
        return ms, None
    why = "; ".join(ln for ln in lines if ln.startswith("l1util:")) or f"status {rc}"
    _rc, tail = ctx.sh(f"tail -n 12 {q(log)}", 30)
    return None, (why, tail)


def _argvs(ctx, cmdline):
    ours = ctx.vmm_run(cpus="boot=2,max=2", memory="512M", cmdline=cmdline)
    peer = ctx.peer_argv + ["-M", "virt,gic-version=3", "-accel", "kvm", "-cpu", PEER_CPU, "-smp", "2",
                            "-m", "512", "-nodefaults", "-display", "none", "-serial", "stdio",
                            "-kernel", ctx.image, "-initrd", ctx.initrd, "-append", cmdline]
    return ours, peer


def _paired(ctx, metric, runs, ours_argv, peer_argv, helper, ours_fail, warmup=0):
    """Runs ours and the peer interleaved (drift of the test host hits both alike), after
    `warmup` uncounted runs of each, and prints the bench line of their medians;
    returns (ours_fail, peer_fail)."""
    ours, peer = [], []
    peer_fail = None
    for i in range(-warmup, runs):
        if ours_fail is None:
            ms, ours_fail = _time_to_init(ctx, f"{metric}-ours", i, ours_argv, helper)
            if ms is not None and i >= 0:
                ours.append(ms)
        if peer_fail is None:
            ms, peer_fail = _time_to_init(ctx, f"{metric}-peer", i, peer_argv, helper)
            if ms is not None and i >= 0:
                peer.append(ms)
    o = statistics.median(ours) if ours_fail is None and ours else None
    p = statistics.median(peer) if peer_fail is None and peer else None
    ratio = f"{o / p:.2f}" if o and p else "n/a"
    ctx.emit(f"bench: {metric} ours={f'{o:.0f}ms' if o else 'n/a'} peer={f'{p:.0f}ms' if p else 'n/a'} "
             f"ratio={ratio}")
    return ours_fail, peer_fail


@scenario("boot", tier="bench", needs_vmm=False, needs_peer=True)
def bench_boot(ctx):
    """Process start to guest /init (medians of 3) and to the guest's first console byte
    (medians of 5): ours vs QEMU (-accel kvm)."""
    ours_argv, peer_argv = _argvs(ctx, CMDLINE)
    ours_fail = None if ctx.have_vmm else (ctx.vmm_missing_why, [])
    ours_fail, peer_fail = _paired(ctx, "boot", RUNS, ours_argv, peer_argv, "ttl", ours_fail)
    fo_ours, fo_peer = _argvs(ctx, FIRST_OUTPUT_CMDLINE)
    fo_ours_fail, fo_peer_fail = _paired(ctx, "boot-first-output", FIRST_OUTPUT_RUNS, fo_ours, fo_peer, "ttfb",
                                         None if ctx.have_vmm else (ctx.vmm_missing_why, []), warmup=1)
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
    for who, fail in (("ours", ours_fail), ("peer", peer_fail), ("ours first output", fo_ours_fail),
                      ("peer first output", fo_peer_fail)):
        if fail:
            why, tail = fail
            problems.append(f"{who}: {why}")
            if tail:
                details.append(f"== {who}: console/log tail")
                details += [f"| {ln}" for ln in tail]
    if problems:
        raise Fail("; ".join(problems), details=details, dump=[])
