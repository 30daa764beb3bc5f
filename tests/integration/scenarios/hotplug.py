"""Integration tier: ACPI boot and vCPU hot-plug / hot-unplug on a real guest
(issue "arm64 vCPU hot-plug and hot-unplug through ACPI", seed V.E.7/V.E.8)."""
import re

from harness.scenario import GUEST_PMU, Fail, expect, q, scenario

OTHER_PMU = "on" if GUEST_PMU == "off" else "off"

BOOT_TIMEOUT = 180
SYS = "/sys/devices/system/cpu"


class HotplugVM:
    """A guest booted with ACPI and a QMP socket, plus helpers to drive vCPUs."""

    def __init__(self, ctx, name, cpus="boot=2,max=6", cmdline="console=ttyAMA0 quiet", memory="512M"):
        self.ctx = ctx
        self.sock = f"/tmp/{name}.qmp"
        ctx.sh(f"rm -f {q(self.sock)}", 10)
        self.s = ctx.session(name, ctx.vmm_run(cpus=cpus, memory=memory, cmdline=cmdline,
                                               extra=["--api-socket", self.sock]))
        self.s.start()
        self.s.wait_for("GUEST-READY", BOOT_TIMEOUT)

    def vmm(self, *args, timeout=60):
        """Runs `vmm ARGS --api SOCK` on the test host: (status, output lines)."""
        words = " ".join(q(a) for a in args)
        return self.ctx.sh(f"{q(self.ctx.vmm)} {words} --api {q(self.sock)} 2>&1", timeout)

    def qmp(self, cmd, args=None, timeout=60):
        extra = [] if args is None else [args]
        return self.vmm("qmp", cmd, *extra, timeout=timeout)

    def guest(self, cmd, timeout=30):
        return self.s.run(cmd, timeout)

    def sysfs(self, what):
        st, out = self.guest(f"cat {SYS}/{what}")
        return out[0].strip() if st == 0 and out else f"<unreadable: status {st}, {out!r}>"

    def wait_sysfs(self, what, want, timeout=60):
        """Polls the guest's sysfs file until it reads `want`."""
        n = self.ctx.next_id()
        cmd = (f"i=0; while [ $i -lt {timeout * 10} ]; do read v < {SYS}/{what}; "
               f"[ \"$v\" = {q(want)} ] && break; sleep 0.1; i=$((i+1)); done; echo \"@{n} $v\"")
        st, out = self.guest(cmd, timeout + 15)
        got = next((ln.split(" ", 1)[1] if " " in ln else "" for ln in out if ln.startswith(f"@{n}")), None)
        expect(got == want, f"guest {what}: expected '{want}' within {timeout} s, saw '{got}'")

    def plug(self, n):
        st, out = self.vmm("cpu", "add", str(n))
        expect(st == 0, f"`vmm cpu add {n}`: status {st}, {' / '.join(out)} (expected success)")
        return out

    def unplug(self, n, timeout=90):
        st, out = self.vmm("cpu", "del", str(n), "--timeout", str(timeout), timeout=timeout + 30)
        expect(st == 0, f"`vmm cpu del {n}`: status {st}, {' / '.join(out)} (expected DEVICE_DELETED)")
        return out

    def online(self, n, on=True):
        st, out = self.guest(f"echo {1 if on else 0} > {SYS}/cpu{n}/online")
        expect(st == 0, f"guest `echo {int(on)} > cpu{n}/online`: status {st}, {out!r} (expected 0)")

    def plug_online(self, n, enabled, online):
        """Plugs vCPU n, waits for the guest's `enabled`, onlines it, waits for `online`."""
        self.plug(n)
        self.wait_sysfs("enabled", enabled)
        self.online(n)
        self.wait_sysfs("online", online)

    def runs_on(self, n):
        st, out = self.guest(f"taskset -c {n} cut -d' ' -f39 /proc/self/stat")
        expect(st == 0 and out == [str(n)],
               f"a task pinned to CPU {n} in the guest: expected to run on {n}, saw {out!r} (status {st})")

    def stop(self):
        self.s.send("poweroff -f")
        st = self.s.wait_exit(30)
        expect(st.exited_ok, f"vmm after guest poweroff: {st} (expected exit status 0)")


def _guest_clean_dmesg(vm):
    st, out = vm.guest("dmesg | grep -i -e 'WARNING' -e 'Call trace' -e 'BUG' | head -5")
    expect(not out, "guest kernel warnings: " + " / ".join(out[:3]))


@scenario("acpi-boot", tier="integration")
def acpi_boot(ctx):
    """ACPI boot with 2 of 6 vCPUs: possible/present 0-5, enabled/online 0-1."""
    vm = HotplugVM(ctx, "acpi")
    b = vm.s.boots()[-1]
    for key, want in (("possible", "0-5"), ("present", "0-5"), ("enabled", "0-1"), ("online", "0-1")):
        expect(b.get(key) == want, f"guest cpu-{key} at boot: expected '{want}', saw '{b.get(key)}'")
    st, out = vm.guest("dmesg | grep -c -i 'ACPI: MADT'; ls /sys/firmware/acpi/tables")
    expect(st == 0 and any("MADT" in ln or "APIC" in ln for ln in out),
           f"guest ACPI tables: expected an APIC (MADT) table in /sys/firmware/acpi/tables, saw {out!r}")
    _guest_clean_dmesg(vm)
    # The boot attempted CPU_ON for the disabled vCPUs; vmm answered DENIED.
    err = ctx.sh(f"cat {q(ctx.runner.ex.T)}/s/acpi/err", 10)[1]
    expect(any("denied" in ln for ln in err),
           "vmm log: expected the guest's boot-time CPU_ON for disabled vCPUs to be DENIED, no such line")
    vm.stop()


@scenario("hotplug", tier="integration")
def hotplug(ctx):
    """device_add core 4: guest enabled 0-1,4; online it; a task runs on CPU 4."""
    vm = HotplugVM(ctx, "hotplug")
    out = vm.plug(4)
    ctx.note("  " + " ".join(out))
    vm.wait_sysfs("enabled", "0-1,4")
    expect(vm.sysfs("online") == "0-1", "guest online before onlining: expected '0-1'")
    vm.online(4)
    vm.wait_sysfs("online", "0-1,4")
    vm.runs_on(4)
    st, out = vm.qmp("query-cpus-fast")
    expect(st == 0 and '"cpu-index":4' in "".join(out) and '"powered-on":true' in "".join(out),
           f"query-cpus-fast: expected vCPU 4 listed and powered on, saw {' '.join(out)[:300]}")
    st, out = vm.qmp("query-hotpluggable-cpus")
    expect(st == 0 and "/machine/peripheral/core4" in "".join(out),
           f"query-hotpluggable-cpus: expected qom-path /machine/peripheral/core4, saw {' '.join(out)[:300]}")
    _guest_clean_dmesg(vm)
    vm.stop()


@scenario("hotunplug", tier="integration")
def hotunplug(ctx):
    """device_del core 4 after onlining it: DEVICE_DELETED, guest enabled 0-1; plug again works."""
    vm = HotplugVM(ctx, "hotunplug")
    vm.plug_online(4, "0-1,4", "0-1,4")
    out = vm.unplug(4)
    ctx.note("  " + " ".join(out))
    vm.wait_sysfs("enabled", "0-1")
    vm.wait_sysfs("online", "0-1")
    st, out = vm.guest(f"test -e {SYS}/cpu4 && echo present || echo gone")
    expect(out == ["gone"], f"guest {SYS}/cpu4 after unplug: expected gone, saw {out!r}")
    st, out = vm.qmp("query-hotpluggable-cpus")
    expect(st == 0 and "core4" not in "".join(out), "query-hotpluggable-cpus after unplug still lists core4")
    # And again.
    vm.plug_online(4, "0-1,4", "0-1,4")
    vm.runs_on(4)
    _guest_clean_dmesg(vm)
    vm.stop()


def _vmm_usage(ctx, pid, ram_mb):
    """fds, threads and RSS (KiB) of vmm, RSS without the guest RAM mapping."""
    st, out = ctx.sh(f"ls /proc/{pid}/fd | wc -l; ls /proc/{pid}/task | wc -l; "
                     f"cat /proc/{pid}/smaps", 30)
    fds, threads = int(out[0]), int(out[1])
    rss, size, total = 0, 0, 0
    for ln in out[2:]:
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", ln):
            a, b = ln.split()[0].split("-")
            size = (int(b, 16) - int(a, 16)) // 1024
        elif ln.startswith("Rss:"):
            kb = int(ln.split()[1])
            if size != ram_mb * 1024:
                rss += kb
            total += kb
    return fds, threads, rss


@scenario("hotplug-cycles", tier="integration")
def hotplug_cycles(ctx):
    """50 plug/unplug cycles of vCPUs 4 and 5 under load: no fd/thread/RSS growth in vmm."""
    vm = HotplugVM(ctx, "cycles")
    # The guest onlines every CPU that appears (what a udev rule does), and runs a workload.
    vm.guest("(while :; do for c in 4 5; do f=/sys/devices/system/cpu/cpu$c/online; "
             "[ -e $f ] && read v < $f && [ \"$v\" = 0 ] && echo 1 > $f; done; sleep 0.05; done) "
             "> /dev/null 2>&1 &")
    vm.guest("(n=0; while :; do n=$((n+1)); done) & (while :; do :; done) & echo started")
    pid = vm.s.pid
    before = None
    cycles = 50
    loop = (f"i=0; while [ $i -lt {cycles} ]; do i=$((i+1)); "
            f"for c in 4 5; do {q(ctx.vmm)} cpu add $c --api {q(vm.sock)} > /dev/null || {{ echo \"@fail add $c cycle $i\"; exit 1; }}; done; "
            f"for c in 4 5; do n=0; until {q(ctx.vmm)} cpu list --api {q(vm.sock)} | "
            f"grep -q \"^$c  *plugged  *on\"; do n=$((n+1)); "
            f"[ $n -gt 300 ] && {{ echo \"@fail online $c cycle $i\"; exit 1; }}; sleep 0.1; done; done; "
            f"for c in 4 5; do {q(ctx.vmm)} cpu del $c --timeout 60 --api {q(vm.sock)} > /dev/null || {{ echo \"@fail del $c cycle $i\"; exit 1; }}; done; "
            f"[ $i -eq 1 ] && echo \"@first\"; done; echo \"@done $i\"")
    # One warm-up cycle, then measure over the rest.
    st, out = ctx.sh(loop.replace(f"-lt {cycles}", "-lt 1"), 600)
    expect(st == 0 and any(ln.startswith("@done") for ln in out), f"warm-up cycle failed: {out[-3:]}")
    before = _vmm_usage(ctx, pid, 512)
    st, out = ctx.sh(loop, 3000)
    fails = [ln for ln in out if ln.startswith("@fail")]
    expect(not fails and any(ln == f"@done {cycles}" for ln in out),
           f"plug/unplug cycles: {fails[0] if fails else 'did not complete: ' + ' / '.join(out[-3:])}")
    after = _vmm_usage(ctx, pid, 512)
    ctx.note(f"  vmm before: fds={before[0]} threads={before[1]} rss={before[2]} KiB (without guest RAM); "
             f"after {cycles} cycles: fds={after[0]} threads={after[1]} rss={after[2]} KiB")
    expect(after[0] == before[0], f"vmm fds: {before[0]} before, {after[0]} after {cycles} cycles (expected equal)")
    expect(after[1] == before[1], f"vmm threads: {before[1]} before, {after[1]} after (expected equal)")
    expect(after[2] <= before[2] + 256,
           f"vmm RSS outside guest RAM grew from {before[2]} to {after[2]} KiB (expected < 256 KiB growth)")
    vm.wait_sysfs("enabled", "0-1")
    vm.stop()


@scenario("hotplug-refusals", tier="integration")
def hotplug_refusals(ctx):
    """Bad plug/unplug requests get a clear QMP error and change nothing."""
    vm = HotplugVM(ctx, "refusals")
    vm.plug(4)
    vm.wait_sysfs("enabled", "0-1,4")
    st, before = vm.qmp("query-hotpluggable-cpus")
    cases = [
        ("unplug of cold-booted vCPU 0", ["cpu", "del", "0"], "cold-booted"),
        ("core-id >= max", ["qmp", "device_add", '{"driver":"host-arm-cpu","id":"c9","core-id":6}'], "out of range"),
        ("plug an enabled vCPU", ["qmp", "device_add", '{"driver":"host-arm-cpu","id":"again","core-id":4}'],
         "already plugged"),
        ("plug a cold-booted vCPU", ["cpu", "add", "1"], "already plugged (cold-booted)"),
        ("duplicate id", ["qmp", "device_add", '{"driver":"host-arm-cpu","id":"core4","core-id":5}'], "Duplicate"),
        ("unknown id", ["qmp", "device_del", '{"id":"nosuch"}'], "not found"),
        ("wrong driver", ["qmp", "device_add", '{"driver":"cortex-a57-arm-cpu","id":"x","core-id":5}'],
         "not a valid device model"),
        (f"pmu={OTHER_PMU} differs", ["qmp", "device_add",
                                      '{"driver":"host-arm-cpu","id":"x","core-id":5,"pmu":"%s"}' % OTHER_PMU],
         "differs from the boot vCPUs"),
        ("sve=on differs", ["qmp", "device_add", '{"driver":"host-arm-cpu","id":"x","core-id":5,"sve":true}'],
         "differs from the boot vCPUs"),
        ("wrong argument type", ["qmp", "device_add", '{"driver":"host-arm-cpu","id":"x","core-id":"five"}'],
         "expects integer"),
        ("unknown argument", ["qmp", "device_add", '{"driver":"host-arm-cpu","id":"x","core-id":5,"bogus":1}'],
         "unexpected"),
        ("unknown command", ["qmp", "no-such-command"], "not been found"),
    ]
    problems = []
    for label, args, word in cases:
        st, out = vm.vmm(*args)
        text = " ".join(out)
        ctx.note(f"  {label}: status {st}: {text[:150]}")
        if st == 0 or word.lower() not in text.lower():
            problems.append(f"{label}: status {st}, {text[:150]!r} (expected an error naming '{word}')")
    st, after = vm.qmp("query-hotpluggable-cpus")
    if before != after:
        problems.append("query-hotpluggable-cpus changed after refused requests")
    expect(vm.sysfs("enabled") == "0-1,4", "guest enabled changed after refused requests")
    # The guest cannot online a CPU that is not enabled (its CPU_ON would be DENIED).
    st, out = vm.guest(f"echo 1 > {SYS}/cpu5/online")
    if st == 0:
        problems.append("guest onlined CPU 5, which is not enabled")
    expect(vm.sysfs("online") == "0-1", "guest online changed")
    st, out = vm.vmm("cpu", "list")
    expect(st == 0, "vmm cpu list failed after the refusals")
    if problems:
        raise Fail(f"{len(problems)} refusals mishandled, first: {problems[0]}", details=problems)
    vm.stop()


@scenario("hotplug-hostile", tier="integration")
def hotplug_hostile(ctx):
    """The guest pokes the hot-plug block, GED and unassigned MMIO; vmm survives; plug/unplug still work."""
    vm = HotplugVM(ctx, "hostile", cmdline="console=ttyAMA0 quiet iomem=relaxed")
    before = guest_errors(vm)
    script = (
        "n=0; for i in $(seq 1 100); do "
        "for base in 0x090C0000 0x09080000 0x09010000 0x0A000000 0x09100000; do "
        "off=$((RANDOM % 16)); a=$(printf 0x%x $((base + off))); "
        "for w in 8 16 32; do devmem $a $w > /dev/null 2>&1; "
        "devmem $a $w $((RANDOM * RANDOM)) 2>/dev/null; n=$((n+2)); done; done; done; echo \"@pokes $n\"")
    st, out = vm.guest(script, timeout=600)
    pokes = next((ln for ln in out if ln.startswith("@pokes")), None)
    expect(pokes is not None, f"the guest's register poking did not finish: {out[-3:]!r}")
    ctx.note(f"  guest made {pokes.split()[1]} accesses")
    expect(vm.s.status().running, "vmm died while the guest poked registers")
    # The accesses must have reached the VMM: 0x09010000 and 0x09100000 are unassigned, so
    # each of their 100 x 3 widths x (read + write) is a bad access the bus counts.
    mid = guest_errors(vm)
    bad = mid["mmio-bad-accesses"] - before["mmio-bad-accesses"]
    ctx.note(f"  vmm counted {bad} bad MMIO accesses")
    expect(bad >= 1200, f"x-query-guest-errors mmio-bad-accesses grew by {bad} (expected >= 1200: "
           f"the unassigned accesses did not reach the VMM)")
    # A guest writing _OST in a loop: coalesced / rate-limited, not one QMP event per write.
    flood = ("devmem 0x090C0000 32 0; devmem 0x090C0005 8 2; "
             "for i in $(seq 1 300); do devmem 0x090C0008 32 $i; done; echo @flood")
    _rc, t0 = ctx.sh("l1util now", 10)
    st, out = vm.guest(flood, timeout=300)
    _rc, t1 = ctx.sh("l1util now", 10)
    expect("@flood" in out, f"the guest's _OST flood did not finish: {out[-3:]!r}")
    secs = (int(t1[0]) - int(t0[0])) / 1000
    after = guest_errors(vm)
    limited = after.get("ost-rate-limited", 0) - mid.get("ost-rate-limited", 0)
    coalesced = after.get("ost-coalesced", 0) - mid.get("ost-coalesced", 0)
    forwarded = 300 - limited - coalesced
    allowed = 32 + 10 * secs + 1  # the burst, then 10/s (hotplug/ost.h)
    ctx.note(f"  300 guest _OST writes in {secs:.1f} s: {forwarded} forwarded, {limited} rate-limited, "
             f"{coalesced} coalesced")
    expect(forwarded <= allowed and (limited > 0 or allowed >= 300),
           f"after 300 guest _OST writes in {secs:.1f} s, {forwarded} were forwarded as QMP events "
           f"({limited} rate-limited; expected at most {allowed:.0f}: a burst of 32, then 10/s)")
    expect(vm.s.status().running, "vmm died during the guest's _OST flood")
    st, err = ctx.sh(f"wc -l < {q(ctx.runner.ex.T)}/s/hostile/err", 10)
    ctx.note(f"  vmm log lines: {err[0] if err else '?'}")
    expect(err and int(err[0]) < 500, f"vmm log not rate-limited: {err[0] if err else '?'} lines")
    vm.plug_online(4, "0-1,4", "0-1,4")
    vm.unplug(4)
    vm.wait_sysfs("enabled", "0-1")
    vm.stop()


def guest_errors(vm):
    """QMP x-query-guest-errors: {counter: value} of what the VMM absorbed from the guest."""
    st, out = vm.qmp("x-query-guest-errors")
    text = " ".join(out)
    got = {k: int(v) for k, v in re.findall(r'"([a-z-]+)":\s*(\d+)', text)}
    expect(st == 0 and "mmio-bad-accesses" in got,
           f"x-query-guest-errors: status {st}, {text[:300]!r} (expected the guest error counters)")
    return got


@scenario("hostile-nisv", tier="integration")
def hostile_nisv(ctx):
    """ldp/stp (no syndrome for KVM) to the UART, the hot-plug block and unassigned space: the guest
    process gets an external abort (SIGBUS), vmm keeps running and plugging."""
    vm = HotplugVM(ctx, "nisv", cmdline="console=ttyAMA0 quiet iomem=relaxed")
    before = guest_errors(vm)
    targets = {"UART": 0x09000010, "hot-plug block": 0x090C0000, "unassigned": 0x09100000}
    n = 0
    for what, addr in targets.items():
        for op in ("ldp", "stp"):
            st, out = vm.guest(f"gmmio {op} {addr:#x}; echo \"@gmmio $?\"", timeout=30)
            rc = next((int(ln.split()[1]) for ln in out if ln.startswith("@gmmio ")), None)
            expect(not any(" done" in ln for ln in out),
                   f"guest `{op}` to the {what} at {addr:#x} completed: {out!r} (expected an external abort)")
            expect(rc == 128 + 7, f"guest `{op}` to the {what} at {addr:#x}: exit status {rc}, {out!r} "
                   f"(expected 135: killed by SIGBUS, the injected external abort)")
            expect(vm.s.status().running, f"vmm ended after the guest's `{op}` to the {what}: {vm.s.status()}")
            n += 1
    after = guest_errors(vm)
    aborts = after.get("mmio-nisv-aborts", 0) - before.get("mmio-nisv-aborts", 0)
    ctx.note(f"  {n} undecodable accesses, vmm injected {aborts} external aborts")
    expect(aborts == n, f"x-query-guest-errors mmio-nisv-aborts grew by {aborts} (expected {n}, one per access)")
    vm.plug_online(4, "0-1,4", "0-1,4")
    vm.runs_on(4)
    vm.stop()


@scenario("hotplug-gicr-reset", tier="integration")
def hotplug_gicr_reset(ctx):
    """What the guest wrote into a parked vCPU's redistributor (live in KVM) is reset when it is plugged."""
    vm = HotplugVM(ctx, "gicr", cmdline="console=ttyAMA0 quiet iomem=relaxed")
    # vCPU 4's redistributor: GICR base 0x080A0000 + 4 x 128 KiB; its SGI frame is the second 64 KiB.
    sgi = 0x080A0000 + 4 * 0x20000 + 0x10000
    regs = {"GICR_IPRIORITYR0+16": sgi + 0x410, "GICR_ISENABLER0": sgi + 0x100, "GICR_ISPENDR0": sgi + 0x200}
    poke = {"GICR_IPRIORITYR0+16": "0xa0a0a0a0", "GICR_ISENABLER0": "0x00f00000", "GICR_ISPENDR0": "0x00100000"}

    def read_all():
        got = {}
        for name, addr in regs.items():
            st, out = vm.guest(f"devmem {addr:#x} 32")
            got[name] = int(out[0], 16) if st == 0 and out and out[0].startswith("0x") else None
        return got

    for name, addr in regs.items():
        vm.guest(f"devmem {addr:#x} 32 {poke[name]}")
    dirty = read_all()
    ctx.note(f"  parked vCPU 4's redistributor after the guest wrote it: "
             + ", ".join(f"{k}={v:#x}" if v is not None else f"{k}=?" for k, v in dirty.items()))
    expect(dirty["GICR_IPRIORITYR0+16"] == 0xa0a0a0a0,
           f"the guest's write to a parked redistributor did not stick ({dirty}); the test proves nothing")
    # Plugged (not yet onlined: the guest's GIC driver has not touched it yet).
    vm.plug(4)
    vm.wait_sysfs("enabled", "0-1,4")
    clean = read_all()
    ctx.note(f"  after the plug: " + ", ".join(f"{k}={v:#x}" if v is not None else f"{k}=?" for k, v in clean.items()))
    want = {"GICR_IPRIORITYR0+16": 0, "GICR_ISENABLER0": 0x0000ffff, "GICR_ISPENDR0": 0}
    bad = {k: v for k, v in clean.items() if v != want[k]}
    expect(not bad, f"vCPU 4's redistributor after the plug: {bad} (expected reset values {want})")
    vm.online(4)
    vm.wait_sysfs("online", "0-1,4")
    vm.runs_on(4)
    vm.stop()


@scenario("qmp-control", tier="integration")
def qmp_control(ctx):
    """QMP on a real guest: status, stop/cont with events, ACPI_DEVICE_OST, power button, quit."""
    vm = HotplugVM(ctx, "qmpctl")

    def qmp_event(cmd, event, args=None):
        extra = [] if args is None else [args]
        st, out = vm.vmm("qmp", "--wait-event", event, "--timeout", "60", cmd, *extra, timeout=120)
        ev = next((ln for ln in out if f'"event":"{event}"' in ln), None)
        expect(st == 0 and ev, f"`{cmd}`: expected the {event} event, saw status {st}, {' / '.join(out)[:300]}")
        return ev

    st, out = vm.qmp("query-status")
    expect(st == 0 and '"status":"running"' in "".join(out), f"query-status: {out!r} (expected running)")
    qmp_event("stop", "STOP")
    st, out = vm.qmp("query-status")
    expect('"status":"paused"' in "".join(out), f"query-status after stop: {out!r} (expected paused)")
    qmp_event("cont", "RESUME")
    st, out = vm.guest("echo alive")
    expect(out == ["alive"], f"guest after cont: {out!r}")
    ev = qmp_event("device_add", "ACPI_DEVICE_OST", '{"driver":"host-arm-cpu","id":"core4","core-id":4}')
    ctx.note(f"  {ev}")
    expect('"slot":"4"' in ev and '"device":"core4"' in ev, f"ACPI_DEVICE_OST for core 4 expected, saw {ev}")
    vm.wait_sysfs("enabled", "0-1,4")
    # The power button: the GED interrupt reaches the guest.
    st, before = vm.guest("grep -i ged /proc/interrupts")
    st, out = vm.qmp("system_powerdown")
    expect(st == 0, f"system_powerdown: {out!r}")
    st, after = vm.guest("sleep 1; grep -i ged /proc/interrupts")
    expect(before and after and before != after,
           f"GED interrupt count did not change after system_powerdown: {before!r} -> {after!r}")
    ev = qmp_event("quit", "SHUTDOWN")
    expect('"reason":"host-qmp-quit"' in ev and '"guest":false' in ev,
           f"SHUTDOWN after quit: {ev} (expected reason host-qmp-quit, guest false)")
    st = vm.s.wait_exit(30)
    expect(st.kind == "exit" and st.code == 5, f"vmm after quit: {st} (expected exit status 5, QMP quit)")


@scenario("hotplug-reboot", tier="integration")
def hotplug_reboot(ctx):
    """A plugged vCPU stays plugged across a guest reboot (as on real hardware), and can be unplugged after."""
    vm = HotplugVM(ctx, "hpreboot")
    vm.plug_online(3, "0-1,3", "0-1,3")
    vm.s.send("reboot -f")
    vm.s.wait_for("GUEST-READY", BOOT_TIMEOUT, count=2, what="GUEST-READY after the guest reboot")
    b = vm.s.boots()[-1]
    expect(b.get("enabled") == "0-1,3", f"guest enabled after reboot: expected '0-1,3', saw '{b.get('enabled')}'")
    expect(b.get("online") == "0-1,3", f"guest online after reboot: expected '0-1,3' (booted), saw '{b.get('online')}'")
    vm.runs_on(3)
    vm.unplug(3)
    vm.wait_sysfs("enabled", "0-1")
    vm.stop()
