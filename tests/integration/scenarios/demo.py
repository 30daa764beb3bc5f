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
    """The seed's story: boot 2 of 6 vCPUs, plug core 4, online it, unplug it."""
    from scenarios.hotplug import HotplugVM

    ctx.emit("demo: vmm run --cpus boot=2,max=6 --memory 512M --api-socket S   (ACPI boot)")
    t = time.monotonic()
    vm = HotplugVM(ctx, "demo")
    ctx.emit(f"  guest ready after {time.monotonic() - t:.1f} s")
    show_cpus(ctx, vm.s, "at boot: 6 possible and present, 2 enabled and online")
    st, out = vm.vmm("cpu", "list")
    ctx.emit("  $ vmm cpu list --api S")
    for ln in out:
        ctx.emit(f"    {ln}")
    st, out = vm.vmm("cpu", "add", "4")
    ctx.emit(f"  $ vmm cpu add 4 --api S          -> {' '.join(out)}")
    vm.wait_sysfs("enabled", "0-1,4")
    show_cpus(ctx, vm.s, "the guest registered CPU 4 (enabled), still offline")
    vm.online(4)
    vm.wait_sysfs("online", "0-1,4")
    ctx.emit("  guest$ echo 1 > /sys/devices/system/cpu/cpu4/online   (PSCI CPU_ON, allowed: CPU 4 is enabled)")
    st, out = vm.guest("taskset -c 4 cut -d' ' -f39 /proc/self/stat")
    ctx.emit(f"  guest$ taskset -c 4 ...  ran on CPU {' '.join(out)}")
    show_cpus(ctx, vm.s, "after onlining")
    st, out = vm.vmm("cpu", "del", "4")
    ctx.emit(f"  $ vmm cpu del 4 --api S          -> {' '.join(out)}")
    vm.wait_sysfs("enabled", "0-1")
    show_cpus(ctx, vm.s, "after the guest offlined and ejected CPU 4 (parked again)")
    st, out = vm.vmm("cpu", "del", "0")
    ctx.emit(f"  $ vmm cpu del 0 --api S          -> {' '.join(out)}")
    vm.s.send("poweroff -f")
    st = vm.s.wait_exit(30)
    ctx.emit(f"  guest powered off; vmm {st}")
    expect(st.exited_ok, f"vmm after guest poweroff: {st} (expected exit status 0)")
