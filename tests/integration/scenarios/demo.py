"""Demo tier: boot a guest and show its CPUs (later: hot-plug them)."""
import time

from harness.scenario import expect, scenario

SYSFS = "/sys/devices/system/cpu"


def show_cpus(ctx, s, title):
    st, out = s.run(
        f"cd {SYSFS}; for f in possible present enabled online; do "
        f"v=none; [ -r $f ] && read -r v < $f; echo \"$f $v\"; done; "
        f"for c in cpu[0-9]*; do o=1; [ -r $c/online ] && read -r o < $c/online; echo \"$c $o\"; done")
    expect(st == 0, f"reading {SYSFS} in the guest: status {st}")
    sets = [ln.split(None, 1) for ln in out if ln.split()[0] in ("possible", "present", "enabled", "online")]
    cpus = [ln.split() for ln in out if ln.startswith("cpu")]
    ctx.emit(f"  {title}")
    for k, v in sets:
        ctx.emit(f"    {SYSFS}/{k:<9s} {v}")
    ctx.emit("    " + "  ".join(f"{c}:{'online' if o == '1' else 'offline'}" for c, o in cpus))


@scenario("cpus", tier="demo")
def demo_cpus(ctx):
    """Boot with --cpus boot=2,max=4 and show the guest's CPU sysfs."""
    argv = ctx.vmm_run(cpus="boot=2,max=4", memory="512M")
    ctx.emit("demo: vmm run --cpus boot=2,max=4 --memory 512M (default ACPI mode)")
    s = ctx.session("demo", argv)
    t = time.monotonic()
    s.start()
    s.wait_for("GUEST-READY", 180)
    ctx.emit(f"  guest ready after {time.monotonic() - t:.1f} s; its /init reported:")
    for k, v in (s.boots() or [{}])[-1].items():
        if k != "ready":
            ctx.emit(f"    cpu-{k}: {v}")
    show_cpus(ctx, s, "guest CPU sysfs now:")
    s.send("poweroff -f")
    st = s.wait_exit(30)
    ctx.emit(f"  guest powered off; vmm {st}")
    expect(st.exited_ok, f"vmm after guest poweroff: {st} (expected exit status 0)")
