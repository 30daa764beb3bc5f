#!/usr/bin/env python3
"""Integration, bench and demo scenarios of vmm on a real arm64 KVM.

    run.py --build DIR --tier integration|bench|demo [--scenario NAME ...] [--keep] [--verbose]

On an x86_64 (or KVM-less) machine the scenarios run inside an emulated arm64
host ("L1": qemu-system-aarch64 TCG with EL2, booted once per run); on an
aarch64 host with a usable /dev/kvm they run directly. Prints one
`PASS <scenario>` / `FAIL <scenario>: <why>` line each, then `N passed, N failed`.
See tests/integration/README.md.
"""
import argparse
import os
import re
import platform
import shutil
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import images, tls  # noqa: E402
from harness.executor import CommandTimeout, HostDead, L1Executor, LocalExecutor  # noqa: E402
from harness.scenario import SCENARIOS, Context, Fail, tagged  # noqa: E402
import scenarios  # noqa: E402,F401  (registers the scenarios)

# What the test host's kernel prints when it is in trouble (grep -E and Python syntax alike):
# scanned in its console log after each scenario and in dmesg when one fails.
KERNEL_ERRORS = ("Internal error:|Oops|BUG:|Unable to handle kernel|WARNING: CPU:|exited with irqs disabled|"
                 "LOCKUP|detected stall")
KERNEL_ERRORS_RE = re.compile(KERNEL_ERRORS)

REPO = images.REPO
TIERS = ("integration", "bench", "demo")
L1_CFLAGS = ["-std=gnu11", "-O2", "-g", "-Wall", "-Wextra", "-Wformat=2", "-Wmissing-prototypes",
             "-Wstrict-prototypes", "-Wundef", "-Wshadow", "-Wwrite-strings", "-Wsign-compare",
             "-Wpointer-arith", "-Wvla", "-Wimplicit-fallthrough", "-Werror", "-D_GNU_SOURCE",
             "-fno-strict-aliasing"]


class Setup(Exception):
    """The run cannot start (missing tool, image, build product)."""


class Runner:
    def __init__(self, args):
        self.args = args
        self.t0 = time.monotonic()
        self.build = os.path.abspath(args.build)
        self.work = os.path.join(self.build, "integration", args.tier)
        self.logs = os.path.join(self.work, "logs")
        self.ex = None
        self.have_vmm = False
        self.vmm_missing_why = ""
        self.standin = args.vmm_stand_in
        self.results = []
        self.big_files = []

    # -- output ---------------------------------------------------------------
    def emit(self, text=""):
        print(text, flush=True)

    def note(self, text):
        print(f"[{time.monotonic() - self.t0:7.1f}s] {text}", file=sys.stderr, flush=True)

    # -- preparation ----------------------------------------------------------
    def cache_dir(self):
        try:
            out = subprocess.run([os.path.join(REPO, "tools", "setup.sh"), "--print-cache"],
                                 capture_output=True, text=True, check=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError) as e:
            raise Setup(f"tools/setup.sh --print-cache failed: {e}")
        return out

    def local_mode(self):
        if self.args.executor == "l1":
            return False
        if self.args.executor == "local":
            return True
        return platform.machine() in ("aarch64", "arm64") and os.access("/dev/kvm", os.R_OK | os.W_OK)

    def l1_helpers(self, local, where="l1"):
        """build/aarch64/<where>/<name> for every tests/<where>/<name>.c; compiled here if
        missing or older than its source (so the harness works before `make arm64`).
        where="guest": static helpers for the L2 guest's /bin (tests/guest/*.c)."""
        src_dir = os.path.join(REPO, "tests", where)
        out_dir = os.path.join(self.build, "integration", f"{where}bin")
        bins = {}
        for fn in sorted(os.listdir(src_dir)):
            if not fn.endswith(".c"):
                continue
            name, src = fn[:-2], os.path.join(src_dir, fn)
            built = os.path.join(self.build, "aarch64", where, name)
            if images.is_executable(built) and os.path.getmtime(built) >= os.path.getmtime(src):
                bins[name] = built
                continue
            os.makedirs(out_dir, exist_ok=True)
            dst = os.path.join(out_dir, name)
            native = platform.machine() in ("aarch64", "arm64")
            cc = ["cc"] if native else ["aarch64-linux-gnu-gcc", "-static"]
            if not (images.is_executable(dst) and os.path.getmtime(dst) >= os.path.getmtime(src)):
                self.note(f"compiling {os.path.relpath(src, REPO)} (not in {os.path.relpath(built, REPO)})")
                r = subprocess.run(cc + L1_CFLAGS + ["-o", dst, src], capture_output=True, text=True)
                if r.returncode != 0:
                    raise Setup(f"cannot compile {fn}: {r.stderr.strip()[:800]}")
            bins[name] = dst
        if where == "l1" and "l1util" not in bins:
            raise Setup("tests/l1/l1util.c missing")
        return bins

    def prepare(self):
        a = self.args
        os.makedirs(self.logs, exist_ok=True)
        cache = self.cache_dir()
        image = os.path.join(cache, "kernel", "Image")
        busybox = os.path.join(cache, "busybox", "busybox")
        e2fsck = os.path.join(cache, "e2fsck", "e2fsck")  # the guest's filesystem check
        peer_root = os.path.join(cache, "peer-qemu", "root")
        for f in (image, busybox, e2fsck):
            if not os.path.isfile(f):
                raise Setup(f"{f} missing: run tools/setup.sh all")
        want_peer = a.tier == "bench" or self.standin or any(s.needs_peer for s in self.selected)
        if want_peer and not os.path.isfile(os.path.join(peer_root, "usr/bin/qemu-system-aarch64")):
            raise Setup(f"the peer QEMU is missing under {peer_root}: run tools/setup.sh peer")
        if want_peer:
            try:
                with open(os.path.join(cache, "peer-qemu", "version")) as f:
                    ver = f.read().strip()
            except OSError:
                ver = "unknown (run tools/setup.sh peer)"
            self.emit(f"peer: qemu-system-aarch64 {ver} (Debian qemu-system-arm:arm64)")
        vmm = os.path.join(self.build, "aarch64", "vmm")
        if self.standin:
            self.have_vmm = True
            self.emit("NOTE: --vmm-stand-in: `vmm` is replaced by the peer QEMU; "
                      "these results test the harness, not vmm")
        elif images.is_executable(vmm):
            self.have_vmm = True
        else:
            self.vmm_missing_why = (f"vmm binary missing: {os.path.relpath(vmm, REPO)} does not exist "
                                    f"(build it with `make arm64`)")
        local = self.local_mode()
        l1_bins = self.l1_helpers(local)

        rootfs = os.path.join(self.work, "rootfs.cpio.gz")
        size = images.build_guest_rootfs(busybox, rootfs, dict(self.l1_helpers(local, "guest"), e2fsck=e2fsck),
                                         modules_dir=os.path.join(cache, "kernel", "modules"))
        self.big_files.append(rootfs)
        self.note(f"guest initramfs {size // 1024} KiB")
        tree = images.host_tree("vmm", image=image, initrd=rootfs, l1_bins=l1_bins,
                                vmm=vmm if self.have_vmm and not self.standin else None,
                                standin=self.standin, peer_root=peer_root if want_peer else None)
        try:
            tls.tree_entries(tree, tls.make_pki(os.path.join(self.work, "tls")), "vmm")
        except (OSError, RuntimeError) as e:
            raise Setup(f"cannot make the test certificates with openssl: {e}")
        if local:
            stage = os.path.join(self.work, "stage")
            if any(c.isspace() for c in stage):
                raise Setup(f"staging path contains whitespace: {stage}")
            images.materialise(tree, stage)
            self.big_files.append(stage)
            self.ex = LocalExecutor(stage, os.path.join(self.logs, "local.log"), a.verbose)
            self.note(f"local arm64 host with /dev/kvm: staging in {stage}")
        else:
            qemu = shutil.which("qemu-system-aarch64")
            if not qemu:
                raise Setup("qemu-system-aarch64 not found (tools/setup.sh host installs qemu-system-arm)")
            l1cpio = os.path.join(self.work, "l1.cpio")
            size = images.write_l1_cpio(tree, l1cpio, busybox=busybox,
                                        modules_dir=os.path.join(cache, "kernel", "modules"))
            self.big_files.append(l1cpio)
            self.note(f"L1 initramfs {size / 1e6:.1f} MB")
            self.ex = L1Executor(qemu, image, l1cpio, os.path.join(self.logs, "l1-console.log"), a.verbose)

    # -- running --------------------------------------------------------------
    def select(self):
        avail = SCENARIOS.get(self.args.tier, {})
        names = self.args.scenario or list(avail)
        unknown = [n for n in names if n not in avail]
        if unknown:
            raise Setup(f"unknown scenario(s) {', '.join(unknown)} for tier {self.args.tier} "
                        f"(known: {', '.join(avail) or 'none'})")
        self.selected = [avail[n] for n in names]

    def record(self, name, ok, why="", details=()):
        self.results.append((name, ok))
        if ok:
            self.emit(f"PASS {name}")
        else:
            self.emit(f"FAIL {name}: {why}")
            for d in details:
                self.emit(f"    {d}")

    def dump(self, ctx, fail):
        """Tail of the logs of the sessions that matter, prefixed and indented."""
        sessions = fail.dump if fail.dump is not None else [s for s in ctx.sessions if s.started][-1:]
        out = []
        try:
            for s in sessions:
                for ln in s.tail(25):
                    if ln.startswith("@section "):
                        out.append(f"    == {ln[9:]}")
                    else:
                        out.append(f"    | {ln}")
            if sessions and self.ex.kind == "L1":
                # The test host kernel's first error with its trace, or the last lines.
                _rc, lines = self.ex.sh(f"dmesg > /tmp/t/dmesg; n=$(grep -n -m1 -E '{KERNEL_ERRORS}' /tmp/t/dmesg | "
                                        "cut -d: -f1); if [ -n \"$n\" ]; then echo '@first error'; "
                                        "tail -n +$((n > 5 ? n - 5 : 1)) /tmp/t/dmesg | head -n 60; "
                                        "else tail -n 8 /tmp/t/dmesg; fi", 30)
                first_err = bool(lines) and lines[0] == "@first error"
                out.append("    == L1 kernel log (" + ("its first error, 60 lines" if first_err else "last 8 lines") + ")")
                out += [f"    | {ln}" for ln in lines[1 if first_err else 0:]]
        except (HostDead, Fail, CommandTimeout) as e:
            out.append(f"    (logs unavailable: {e})")
        for ln in out:
            self.emit(ln)

    def run_one(self, sc):
        if self.ex.dead:
            self.record(sc.name, False, f"test host unavailable: {self.ex.dead}")
            return
        ctx = Context(self, sc)
        t = time.monotonic()
        log_at = self.kernel_log_size()
        self.note(f"scenario {sc.name} ...")
        try:
            if sc.needs_vmm:
                ctx.require_vmm()
            sc.fn(ctx)
            self.record(sc.name, True)
        except Fail as f:
            self.record(sc.name, False, f.why, f.details)
            if not self.ex.dead:
                self.dump(ctx, f)
        except HostDead as e:
            self.record(sc.name, False, f"test host died: {e}")
        except Exception as e:  # a harness bug must not hide the other scenarios
            self.record(sc.name, False, f"harness error: {type(e).__name__}: {e}",
                        traceback.format_exc().rstrip().splitlines()[-6:])
        finally:
            if not self.ex.dead:
                for s in ctx.sessions:
                    try:
                        if s.started and s.status().running:
                            s.stop()
                    except (Fail, HostDead, CommandTimeout):
                        pass
                self.tidy_host()
            self.kernel_errors(log_at)
        self.note(f"scenario {sc.name}: {time.monotonic() - t:.1f} s")

    def kernel_log_size(self):
        try:
            return os.path.getsize(self.ex.log_path) if self.ex.kind == "L1" else None
        except OSError:
            return None

    def kernel_errors(self, since):
        """The test host kernel's own errors logged on its console during a scenario: a
        guest with no output or a killed VMM is then the test host's fault, not ours."""
        if since is None:
            return
        try:
            with open(self.ex.log_path, "rb") as f:
                f.seek(since)
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return
        # Not the harness's own commands echoed there (">>> ..."), which may grep for such words.
        hits = [ln.strip() for ln in text.splitlines() if ">>> " not in ln and KERNEL_ERRORS_RE.search(ln)]
        for ln in hits[:4]:
            self.note(f"test host kernel error: {ln}")

    def tidy_host(self):
        """What a scenario left in the test host's /tmp (a RAM filesystem there: images,
        snapshots) goes before the next one; says how much memory the test host has left."""
        if self.ex.kind != "L1":
            return
        try:
            _rc, out = self.ex.sh("for m in $(awk '$2 ~ \"^/tmp/\" {print $2}' /proc/mounts); do "
                                  "fsfreeze --unfreeze $m 2>/dev/null; umount $m 2>/dev/null; done; "
                                  "find /tmp -mindepth 1 -maxdepth 1 ! -name t -exec rm -rf {} + 2>/dev/null; "
                                  "echo \"@avail $(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)\"", 120)
            avail = next((ln.split()[1] for ln in out if ln.startswith("@avail ")), "?")
            self.note(f"test host: {avail} MiB available after tidying /tmp")
        except (HostDead, CommandTimeout):
            pass

    def run(self):
        try:
            self.select()
        except Setup as e:
            print(f"run.py: {e}", file=sys.stderr)
            return 2
        try:
            self.prepare()
            warnings = self.ex.start(timeout=self.args.l1_timeout)
            for w in warnings:
                self.note(w)
            if self.ex.kind == "L1":
                self.note(f"L1 ready in {self.ex.boot_s:.1f} s")
            _rc, lines = self.ex.sh("host_info", 60)
            for h in tagged(lines, "host"):
                self.note(f"test host: {h}")
        except (Setup, HostDead, CommandTimeout, OSError) as e:
            for sc in self.selected:
                self.record(sc.name, False, f"no test host: {e}")
        else:
            for sc in self.selected:
                self.run_one(sc)
        finally:
            if self.ex:
                self.ex.close()
            if not self.args.keep:
                for p in self.big_files:
                    if os.path.isdir(p):
                        shutil.rmtree(p, ignore_errors=True)
                    elif os.path.exists(p):
                        os.unlink(p)
        passed = sum(1 for _n, ok in self.results if ok)
        failed = len(self.results) - passed
        if failed:
            self.note(f"logs: {os.path.relpath(self.logs)}")
        self.note(f"total {time.monotonic() - self.t0:.1f} s")
        self.emit(f"{passed} passed, {failed} failed")
        return 1 if failed else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", required=True, help="build directory (as make O=)")
    p.add_argument("--tier", required=True, choices=TIERS)
    p.add_argument("--scenario", action="append", metavar="NAME", help="run only NAME (repeatable)")
    p.add_argument("--keep", action="store_true", help="keep the generated images and staging tree")
    p.add_argument("--verbose", action="store_true", help="echo the test host console (timestamped)")
    p.add_argument("--list", action="store_true", help="list the scenarios of the tier and exit")
    p.add_argument("--executor", choices=("auto", "l1", "local"), default="auto",
                   help="where scenarios run (default: local on arm64 with /dev/kvm, else L1)")
    p.add_argument("--l1-timeout", type=float, default=180, help="seconds to wait for L1-READY")
    p.add_argument("--vmm-stand-in", action="store_true",
                   help="harness self-test: use the peer QEMU in place of vmm (see vmm-standin.sh)")
    args = p.parse_args()
    if args.list:
        for name, sc in SCENARIOS.get(args.tier, {}).items():
            print(f"{name:20s} {sc.doc}")
        return 0
    return Runner(args).run()


if __name__ == "__main__":
    sys.exit(main())
