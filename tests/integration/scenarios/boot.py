"""Integration tier: boot, reboot, poweroff, SIGTERM, and bad command lines."""
from harness.scenario import GUEST_PMU, Fail, Status, expect, first, q, scenario, tagged

BOOT_TIMEOUT = 180      # one L2 boot inside L1 takes ~15-20 s; allow for a slow L1
EXIT_TIMEOUT = 30


def _cpu_line(boot, key):
    return boot.get(key, "<missing>")


@scenario("boot", tier="integration")
def boot(ctx):
    """Boot 2 of 4 vCPUs (DT), run on vCPU 1, reboot in-process, poweroff, SIGTERM."""
    s = ctx.session("boot", ctx.vmm_run(cpus="boot=2,max=4", memory="512M", acpi="off"))
    s.start()
    s.wait_for("GUEST-READY", BOOT_TIMEOUT)
    boots = s.boots()
    expect(boots, "GUEST-READY seen but no GUEST-INIT/cpu-* lines on the console")
    online = _cpu_line(boots[-1], "online")
    expect(online == "0-1", f"guest cpu-online: expected '0-1', saw '{online}'")

    # vCPU 1 really executes: a task pinned to CPU 1 reports CPU 1 (field 39 of stat).
    cmd = "taskset -c 1 cut -d' ' -f39 /proc/self/stat"
    st, out = s.run(cmd)
    expect(st == 0 and out == ["1"], f"`{cmd}` in the guest: expected '1' (status 0), "
           f"saw {out!r} (status {st})")

    # --pmu off (what the harness gives every guest, GUEST_PMU): the device tree has
    # no PMU node and the guest's perf has no armv8 PMU.
    st, out = s.run("ls -1 /proc/device-tree /sys/bus/event_source/devices")
    expect(st == 0 and any(x in out for x in ("cpus", "psci")) and not [x for x in out if "pmu" in x],
           f"`ls -1 /proc/device-tree /sys/bus/event_source/devices` with --pmu {GUEST_PMU}: {out!r} (status {st})")

    # Guest reboot resets the VM inside the same vmm process.
    s.send("reboot -f")
    s.wait_for("GUEST-READY", BOOT_TIMEOUT, count=2, what="a second GUEST-READY after `reboot -f`")
    st_after = s.status()
    expect(st_after.running, f"vmm after the guest reboot: expected the same process running, "
           f"saw {st_after}")
    boots = s.boots()
    expect(len(boots) >= 2, f"guest boots on the console after reboot: expected 2, saw {len(boots)}")
    online = _cpu_line(boots[-1], "online")
    expect(online == "0-1", f"guest cpu-online after reboot: expected '0-1', saw '{online}'")

    # Guest poweroff ends vmm with status 0 and leaves no process behind.
    s.send("poweroff -f")
    st = s.wait_exit(EXIT_TIMEOUT)
    expect(not st.running, f"vmm after guest `poweroff -f`: still running after {EXIT_TIMEOUT} s "
           f"(expected exit status 0)")
    expect(st.exited_ok, f"vmm after guest `poweroff -f`: {st} (expected exit status 0)")
    ctx.expect_no_procs("vmm", "after poweroff")

    # SIGTERM while the guest runs: exit status 4 (host signal), process gone.
    t = ctx.session("sigterm", ctx.vmm_run(cpus="boot=2,max=4", memory="512M", acpi="off"))
    t.start()
    t.wait_for("GUEST-READY", BOOT_TIMEOUT)
    t.kill("TERM")
    st = t.wait_exit(EXIT_TIMEOUT)
    expect(not st.running, f"vmm after SIGTERM: still running after {EXIT_TIMEOUT} s (expected exit status 4)",
           dump=[t])
    expect(st.kind == "exit" and st.code == 4, f"vmm after SIGTERM: {st} (expected exit status 4, host signal)",
           dump=[t])
    ctx.expect_no_procs("vmm", "after SIGTERM")


# (label, arguments that replace the defaults, words of which the error line must name one)
BAD_INPUTS = [
    ("--cpus boot=5,max=4", {"cpus": "boot=5,max=4"}, ["boot"]),
    ("--cpus max=0", {"cpus": "max=0"}, ["max"]),
    ("--memory 0", {"memory": "0"}, ["memory"]),
    ("--memory 1T", {"memory": "1T"}, ["memory"]),
    ("--kernel /nonexistent", {"kernel": "/nonexistent"}, ["kernel", "/nonexistent"]),
    ("--kernel <an initramfs, not an arm64 Image>", {"kernel": "INITRD"}, ["kernel", "image"]),
]


@scenario("boot-bad-input", tier="integration")
def boot_bad_input(ctx):
    """Bad --cpus/--memory/--kernel: non-zero exit, no signal/core, a `vmm: error:` line."""
    problems, details, dump = [], [], []
    for i, (label, over, words) in enumerate(BAD_INPUTS):
        kw = dict(cpus="boot=2,max=4", memory="512M", acpi="off")
        kw.update(over)
        if kw.get("kernel") == "INITRD":
            kw["kernel"] = ctx.initrd
        argv = ctx.vmm_run(**kw)
        name = f"bad{i}"
        _rc, lines = ctx.sh(f"run_once {name} 20000 " + " ".join(q(a) for a in argv), 60)
        st = Status(first(lines, "status"))
        errs = tagged(lines, "err")
        cores = tagged(lines, "core")
        err_lines = [e for e in errs if e.startswith("vmm: error:")]
        why = None
        if tagged(lines, "timeout") or st.running:
            why = "still running after 20 s (killed; expected an immediate error exit)"
        elif st.kind == "signal":
            why = f"{st} (expected a non-zero exit status)"
        elif st.kind != "exit":
            why = f"unknown end '{st.text}'"
        elif st.code == 0:
            why = "exit status 0 (expected non-zero)"
        elif cores:
            why = f"left a core file {cores[0]}"
        elif not errs:
            why = f"{st} but empty stderr (expected a `vmm: error:` line)"
        elif not err_lines:
            why = f"no line starting with `vmm: error:` on stderr (first line: {errs[0][:100]!r})"
        elif not any(w.lower() in e.lower() for e in err_lines for w in words):
            why = (f"`vmm: error:` line does not name the problem (expected one of "
                   f"{', '.join(repr(w) for w in words)}): {err_lines[0][:120]!r}")
        ctx.note(f"  {label}: {st}; {err_lines[0] if err_lines else (errs[0] if errs else 'no stderr')}")
        if why:
            problems.append(label)
            details.append(f"{label}: {why}")
            dump.append(ctx.session(name, argv))
            dump[-1].started = True
    if problems:
        raise Fail(f"{len(problems)} of {len(BAD_INPUTS)} bad inputs mishandled, first: {details[0]}",
                   details=details, dump=dump[:2])


@scenario("console-stalled", tier="integration")
def console_stalled(ctx):
    """stdout is a pipe nobody reads while the guest floods the console: snapshot, stop/cont and
    SIGTERM still complete; output beyond the buffer is dropped and counted, not blocking the guest."""
    from .hotplug import guest_errors

    sock = "/tmp/stalled.qmp"
    ctx.sh(f"rm -f {q(sock)}; rm -rf /tmp/stalled-snap", 10)
    argv = ctx.vmm_run(cpus="boot=2,max=4", memory="512M", extra=["--api-socket", sock])
    s = ctx.session("stalled", argv)
    rc, lines = ctx.sh("gs_start_stalled stalled " + " ".join(q(a) for a in argv), 30)
    s.pid = next((ln.split()[1] for ln in lines if ln.startswith("@pid ")), None)
    s.started = True
    expect(rc == 0 and s.pid, f"could not start vmm with a stalled stdout: {lines!r}")

    class _VM:  # what guest_errors needs: vmm qmp on the socket
        def qmp(self, cmd, timeout=60):
            return ctx.sh(f"timeout 30 {q(ctx.vmm)} qmp {q(cmd)} --api {q(sock)} 2>&1", timeout)
    vm = _VM()
    try:
        s.wait_for("GUEST-READY", 180)
        # From here nobody reads stdout. The guest writes without end.
        s.send("while :; do echo 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz; done &")
        dropped = 0
        for _ in range(60):
            dropped = guest_errors(vm).get("console-output-dropped", 0)
            if dropped > 0:
                break
            ctx.sh("sleep 1", 10)
        ctx.note(f"  console output dropped so far: {dropped} bytes")
        expect(dropped > 0, "the guest's console flood never filled the pipe and the buffer within 60 s "
               "(console-output-dropped stays 0): the stall was not exercised")
        for cmd, want in (("stop", "paused"), ("cont", "running")):
            rc, out = ctx.sh(f"timeout 30 {q(ctx.vmm)} qmp {cmd} --api {q(sock)} 2>&1; echo \"@rc $?\"", 45)
            st = next((ln for ln in out if ln.startswith("@rc ")), "@rc ?")
            expect(st == "@rc 0", f"QMP {cmd} with a stalled stdout: {out!r} (expected it to complete)")
            rc, out = vm.qmp("query-status")
            expect(f'"status":"{want}"' in "".join(out), f"query-status after {cmd}: {out!r} (expected {want})")
        rc, out = ctx.sh(f"timeout 240 {q(ctx.vmm)} snapshot --to /tmp/stalled-snap --api {q(sock)} 2>&1; "
                         f"echo \"@rc $?\"", 260)
        expect("@rc 0" in out, f"`vmm snapshot` with a stalled stdout: {out!r} (expected success)")
        ctx.note("  " + " ".join(ln for ln in out if not ln.startswith("@rc")))
        rc, out = vm.qmp("query-status")
        expect('"status":"running"' in "".join(out), f"query-status after the snapshot: {out!r} (expected running)")
        s.kill("TERM")
        st = s.wait_exit(30)
        expect(st.kind == "exit" and st.code == 4,
               f"vmm after SIGTERM with a stalled stdout: {st} (expected exit status 4 within 30 s)")
        rc, err = ctx.sh(f"grep -c 'console output stalled' {q(ctx.runner.ex.T)}/s/stalled/err", 10)
        n = int(err[0]) if err and err[0].isdigit() else 0
        expect(1 <= n <= 20, f"vmm logged the dropped console output {n} times (expected a rate-limited report)")
    finally:
        ctx.sh("gs_stop_reader stalled; rm -rf /tmp/stalled-snap", 10)
