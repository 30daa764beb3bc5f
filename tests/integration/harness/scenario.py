"""Scenario registry, the per-scenario context and the guest session helper.

Adding a scenario: in a module of tests/integration/scenarios/, write

    @scenario("name", tier="integration")
    def my_scenario(ctx):
        s = ctx.session("g", ctx.vmm_run(cpus="boot=1,max=1"))
        s.start()
        s.wait_for("GUEST-READY", 180)
        status, out = s.run("cat /proc/cpuinfo | grep -c processor")
        expect(out == ["1"], f"processors: expected 1, saw {out}")

and raise Fail (or use expect) with an "observed vs expected" message.
"""
import re
import shlex

from .executor import CommandTimeout

SCENARIOS = {}          # tier -> {name: Scenario}
MARGIN_S = 30           # outer (harness) timeout beyond a helper's own timeout


class Scenario:
    def __init__(self, name, tier, fn, needs_vmm, needs_peer):
        self.name, self.tier, self.fn = name, tier, fn
        self.needs_vmm, self.needs_peer = needs_vmm, needs_peer
        self.doc = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""


# The peer's vCPU model. Its vPMU is off: with QEMU 10.0's vPMU the test host's 6.12
# kernel oopsed in perf_ctx_sched_task_cb while a peer exited (seen in a bench run),
# which takes every later measurement down with it. Without a vPMU the peer does
# less work than ours, so the ratios stay conservative.
PEER_CPU = "host,pmu=off"

# Our guests' PMU, for the same reason: with a guest vPMU the test host's kernel also
# oopsed in perf_ctx_sched_task_cb under KVM_RUN (kvm_vcpu_block <- kvm_handle_wfx) in
# our vCPU threads, which left a guest with no output or froze the whole test host.
# `vmm run` gives the guest a PMU by default where KVM offers one; restore and
# migration keep whatever the saved VM had.
GUEST_PMU = "off"


def scenario(name, tier, needs_vmm=True, needs_peer=False):
    """Registers fn(ctx) as scenario `name` of `tier` (integration, bench, demo)."""
    def deco(fn):
        tier_map = SCENARIOS.setdefault(tier, {})
        if name in tier_map:
            raise ValueError(f"scenario {tier}/{name} registered twice")
        tier_map[name] = Scenario(name, tier, fn, needs_vmm, needs_peer)
        return fn
    return deco


class Fail(Exception):
    """A scenario failure: why (observed vs expected), extra detail lines, and
    the sessions whose logs help (default: the scenario's recent sessions)."""

    def __init__(self, why, details=(), dump=None):
        super().__init__(why)
        self.why = why
        self.details = list(details)
        self.dump = dump


def expect(cond, why, **kw):
    if not cond:
        raise Fail(why, **kw)


def q(s):
    return shlex.quote(str(s))


def tagged(lines, key):
    """Values of "@key value" lines."""
    pre = "@" + key
    return [ln[len(pre):].strip() for ln in lines if ln == pre or ln.startswith(pre + " ")]


def first(lines, key, default=None):
    v = tagged(lines, key)
    return v[0] if v else default


class Status:
    """A process end as the supervisor recorded it: exit N / signal N [core]."""
    RE = re.compile(r"^(exit|signal) (\d+)( core)?(?: ms=(\d+))?")

    def __init__(self, text):
        self.text = (text or "").strip()
        m = self.RE.match(self.text)
        self.running = self.text == "running"
        self.kind = m.group(1) if m else None
        self.code = int(m.group(2)) if m else None
        self.core = bool(m and m.group(3))
        self.ms = int(m.group(4)) if m and m.group(4) else None

    @property
    def exited_ok(self):
        return self.kind == "exit" and self.code == 0

    def __str__(self):
        if self.running:
            return "still running"
        if self.kind == "exit":
            return f"exit status {self.code}"
        if self.kind == "signal":
            return f"killed by signal {self.code}" + (" (core dumped)" if self.core else "")
        return self.text or "unknown status"


class Context:
    """What a scenario gets: the executor, paths, sessions, output."""

    def __init__(self, runner, sc):
        self.runner = runner
        self.ex = runner.ex
        self.name = sc.name
        self.tier = sc.tier
        self.have_vmm = runner.have_vmm
        self.vmm_missing_why = runner.vmm_missing_why
        self.standin = runner.standin
        self.sessions = []
        self._ids = 0

    # paths inside the test host
    def path(self, rel):
        return f"{self.ex.V}/{rel}"

    @property
    def image(self):
        return self.path("guest/Image")

    @property
    def initrd(self):
        return self.path("guest/rootfs.cpio.gz")

    @property
    def vmm(self):
        return self.path("bin/vmm")

    @property
    def peer_argv(self):
        v = self.ex.V
        return [f"{v}/peer/lib/ld-linux-aarch64.so.1", "--library-path", f"{v}/peer/lib",
                f"{v}/peer/bin/qemu-system-aarch64"]

    def vmm_run(self, cpus="boot=2,max=4", memory="512M", acpi=None, cmdline="console=ttyAMA0 quiet",
                kernel=None, initrd=None, extra=()):
        """argv of `vmm run` with the guest image and initramfs of this run."""
        argv = [self.vmm, "run", "--kernel", kernel or self.image, "--initrd", initrd or self.initrd,
                "--cmdline", cmdline]
        if cpus is not None:
            argv += ["--cpus", cpus]
        if memory is not None:
            argv += ["--memory", memory]
        if acpi is not None:
            argv += ["--acpi", acpi]
        return argv + ["--pmu", GUEST_PMU] + list(extra)

    def next_id(self):
        self._ids += 1
        return self._ids

    def sh(self, cmd, timeout=60):
        try:
            return self.ex.sh(cmd, timeout)
        except CommandTimeout as e:
            raise Fail(str(e))

    def session(self, name, argv, label="vmm"):
        s = GuestSession(self, name, argv, label)
        self.sessions.append(s)
        return s

    def procs(self, name="vmm"):
        """[(pid, state)] of processes called name on the test host."""
        _rc, lines = self.sh(f"procs {q(name)}", 30)
        return [tuple(v.split()[:2]) for v in tagged(lines, "proc")]

    def expect_no_procs(self, name="vmm", when=""):
        left = self.procs(name)
        expect(not left, f"{name} processes left{(' ' + when) if when else ''}: "
               + ", ".join(f"pid {p} state {s}" for p, s in left) + " (expected none)")

    def emit(self, text=""):
        self.runner.emit(text)

    def note(self, text):
        self.runner.note(text)

    def require_vmm(self):
        if not self.have_vmm:
            raise Fail(self.vmm_missing_why, dump=[])


class GuestSession:
    """One process (normally `vmm run`) on the test host with the guest console
    on its stdin/stdout: start it, wait for console lines, run guest shell
    commands, stop it and collect its exit status."""

    def __init__(self, ctx, name, argv, label="vmm"):
        self.ctx, self.name, self.argv = ctx, name, list(argv)
        self.label = label
        self.pid = None
        self.started = False

    @property
    def what(self):
        return f"{self.label} (pid {self.pid})" if self.pid else self.label

    def start(self):
        words = " ".join(q(a) for a in self.argv)
        rc, lines = self.ctx.sh(f"gs_start {q(self.name)} {words}", 30)
        self.pid = first(lines, "pid")
        self.started = True
        if rc != 0 or not self.pid:
            raise Fail(f"could not start {self.label}: " + ("; ".join(lines) or f"status {rc}"))
        return self

    def status(self):
        _rc, lines = self.ctx.sh(f"gs_status {q(self.name)}", 30)
        return Status(first(lines, "status"))

    def wait_for(self, pattern, timeout, count=1, what=None):
        """Waits for the count-th console line containing pattern; returns it."""
        what = what or repr(pattern) + (f" (#{count})" if count > 1 else "")
        rc, lines = self.ctx.sh(
            f"gs_wait {q(self.name)} {q(pattern)} {int(timeout * 1000)} {count}", timeout + MARGIN_S)
        if rc == 0:
            return first(lines, "line", "")
        if rc == 2:
            raise Fail(f"{self.what} ended ({Status(first(lines, 'status'))}) before {what} "
                       f"appeared on the guest console")
        st = self.status()
        threads = []
        if st.running:
            _rc, out = self.ctx.sh(f"gs_threads {q(self.name)}", 30)
            threads = [ln[1:] for ln in out if ln.startswith("@")]
        raise Fail(f"no {what} on the guest console within {timeout:.0f} s ({self.what} {st})",
                   details=threads)

    def run(self, cmd, timeout=30):
        """Runs cmd in the guest shell; returns (exit status, output lines)."""
        n = self.ctx.next_id()
        rc, lines = self.ctx.sh(f"gs_cmd {q(self.name)} {n} {int(timeout * 1000)} {q(cmd)}",
                                timeout + MARGIN_S)
        if rc != 0:
            st = first(lines, "status")
            if rc == 3:
                raise Fail(f"cannot send {cmd!r} to the guest: {self.what} {Status(st)}")
            if rc == 2:
                raise Fail(f"{self.what} ended ({Status(st)}) while the guest ran {cmd!r}")
            raise Fail(f"guest command {cmd!r} gave no result within {timeout:.0f} s ({self.what} {Status(st)})")
        begin = re.compile(rf"__B_{n}_")
        end = re.compile(rf"__E_{n}_(\d+)")
        out, inside, status = [], False, None
        for ln in lines:
            if not inside:
                if begin.search(ln):
                    inside = True
                continue
            m = end.search(ln)
            if m:
                if ln[:m.start()].strip():
                    out.append(ln[:m.start()].rstrip())
                status = int(m.group(1))
                break
            out.append(ln.rstrip())
        if status is None:
            raise Fail(f"guest command {cmd!r}: markers not found in the console output", details=lines[-10:])
        return status, out

    def send(self, text):
        rc, lines = self.ctx.sh(f"gs_send {q(self.name)} {q(text)}", 30)
        if rc != 0:
            raise Fail(f"cannot send {text!r} to the guest console: " + ("; ".join(lines) or f"status {rc}"))

    def wait_exit(self, timeout):
        """Returns the Status once the process ended, or a running Status on timeout."""
        _rc, lines = self.ctx.sh(f"gs_wait_exit {q(self.name)} {int(timeout * 1000)}", timeout + MARGIN_S)
        return Status(first(lines, "status"))

    def kill(self, sig="TERM"):
        rc, lines = self.ctx.sh(f"gs_kill {q(self.name)} {q(sig)}", 30)
        if rc != 0:
            raise Fail(f"cannot send SIG{sig} to {self.what}: " + ("; ".join(lines) or f"status {rc}"))

    def stop(self):
        """SIGTERM (10 s grace), then SIGKILL; returns the Status."""
        _rc, lines = self.ctx.sh(f"gs_stop {q(self.name)}", 15 + MARGIN_S)
        return Status(first(lines, "status"))

    def console(self):
        rc, lines = self.ctx.sh(f"gs_file {q(self.name)} out", 60)
        return [ln.rstrip() for ln in lines] if rc == 0 else []

    def boots(self):
        """One dict per guest boot seen on the console: {'possible': '0-3', ...,
        'ready': bool}, from the lines the guest /init prints."""
        rc, lines = self.ctx.sh(f"gs_file {q(self.name)} out | grep -a -e GUEST- -e '^cpu-'", 60)
        boots = []
        for ln in lines:
            ln = ln.strip()
            if ln == "GUEST-INIT":
                boots.append({"ready": False})
            elif boots and ln == "GUEST-READY":
                boots[-1]["ready"] = True
            elif boots and ln.startswith("cpu-") and ":" in ln:
                k, v = ln[4:].split(":", 1)
                boots[-1].setdefault(k.strip(), v.strip())
        return boots

    def tail(self, n=25):
        _rc, lines = self.ctx.sh(f"gs_tail {q(self.name)} {n}", 60)
        return lines
