"""Where scenario shell commands run.

L1Executor boots the emulated arm64 test host once and talks to its console
shell; LocalExecutor runs the same commands with bash on this (arm64 + KVM)
host. Both expose sh(cmd, timeout) -> (exit status, output lines), with the
same /vmm layout under $V and scratch space under $T.
"""
import os
import sys
import queue
import re
import shlex
import signal
import subprocess
import threading
import time


class HostDead(Exception):
    """The test host stopped answering (it was killed); nothing more can run."""


class CommandTimeout(Exception):
    """A command outlived its timeout (local mode: it was killed)."""


class L1Executor:
    kind = "L1"

    def __init__(self, qemu, kernel, initrd, log_path, verbose=False, smp=2, mem_mb=4096):
        self.cmd = [qemu, "-M", "virt,gic-version=3,virtualization=on", "-cpu", "max,pauth-impdef=on",
                    "-accel", "tcg,thread=multi", "-smp", str(smp), "-m", str(mem_mb), "-nodefaults",
                    "-display", "none", "-monitor", "none", "-no-reboot", "-kernel", kernel,
                    "-initrd", initrd, "-append", "console=ttyAMA0 panic=-1 quiet", "-serial", "stdio"]
        self.V, self.T = "/vmm", "/tmp/t"
        self.log_path = log_path
        self.verbose = verbose
        self.proc = None
        self.lines = queue.Queue()
        self.dead = None          # why the host is unusable, once it is
        self.boot_s = None
        self.t0 = None
        self._n = 0
        self._log = None
        self._recent = []

    # -- console plumbing ---------------------------------------------------
    def _reader(self):
        fd = self.proc.stdout.fileno()
        buf = b""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                self._emit(raw)
        if buf:
            self._emit(buf)
        self.lines.put(None)

    def _emit(self, raw):
        text = raw.decode("utf-8", "replace").replace("\r", "")
        t = time.monotonic() - self.t0
        self._log.write(f"[{t:9.3f}] {text}\n")
        self._log.flush()
        if self.verbose:
            print(f"    [{t:8.3f} L1] {text}", file=sys.stderr, flush=True)
        self._recent = (self._recent + [text])[-20:]
        self.lines.put((t, text))

    def _next_line(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise queue.Empty
        item = self.lines.get(timeout=left)
        if item is None:
            rc = self.proc.wait()
            last = " | ".join(self._recent[-3:])
            self._die(f"the L1 QEMU exited (status {rc})" + (f"; its last output: {last}" if last else ""))
        return item

    def _die(self, why):
        if self.dead is None:
            self.dead = why
        self.kill()
        raise HostDead(self.dead)

    # -- lifecycle ----------------------------------------------------------
    def start(self, timeout=180):
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        self._log = open(self.log_path, "w")
        self._log.write("$ " + " ".join(shlex.quote(c) for c in self.cmd) + "\n")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0, start_new_session=True)
        threading.Thread(target=self._reader, daemon=True).start()
        deadline = self.t0 + timeout
        warnings = []
        while True:
            try:
                t, text = self._next_line(deadline)
            except queue.Empty:
                self._die(f"no L1-READY within {timeout} s (see {self.log_path})")
            if "L1-WARNING" in text:
                warnings.append(text)
            if text.strip() == "L1-READY":
                self.boot_s = t
                return warnings

    def sh(self, cmd, timeout):
        """Runs cmd in a subshell of L1's console shell; returns (status, lines)."""
        if self.dead:
            raise HostDead(self.dead)
        self._n += 1
        n = self._n
        # Unexpected output since the last command goes to the log only.
        while True:
            try:
                item = self.lines.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self.lines.put(None)
                break
        # The marker is split by quotes so an echo of the command cannot match it,
        # and the command runs in its own shell: even a syntax error only ends that
        # shell, never the console shell. It leads its own process group (setsid), and
        # a watchdog in L1 kills the group when it outlives its timeout, so one stuck
        # command fails its scenario instead of the tier; only an L1 that stops
        # answering altogether is declared dead.
        body = '. "$V/lib/helpers.sh"\n' + cmd
        wd = max(5, int(timeout) - 10)
        wire = (f"setsid sh -c {shlex.quote(body)} </dev/null 2>&1 & _c=$!; "
                f"(sleep {wd}; kill -0 $_c 2>/dev/null && echo __W\"D\"_{n}_ && "
                f"kill -KILL -$_c) </dev/null 2>&1 & _w=$!; "
                f"wait $_c; _r=$?; kill $_w 2>/dev/null; echo __E\"ND\"_{n}_$_r\n")
        self._log.write(f"[{time.monotonic() - self.t0:9.3f}] >>> {cmd}\n")
        try:
            self.proc.stdin.write(wire.encode())
        except OSError as e:
            self._die(f"cannot write to the L1 console: {e}")
        marker = re.compile(rf"__END_{n}_(\d+)")
        watchdog = f"__WD_{n}_"
        fired = False
        out = []
        deadline = time.monotonic() + timeout + 20
        while True:
            try:
                _t, text = self._next_line(deadline)
            except queue.Empty:
                self._die(f"L1 did not finish a command within {timeout:.0f} s, nor its watchdog "
                          f"(command: {cmd.splitlines()[0][:120]}); L1 killed")
            if watchdog in text:
                fired = True
                continue
            m = marker.search(text)
            if m:
                if text[:m.start()]:
                    out.append(text[:m.start()])
                if fired:
                    raise CommandTimeout(f"command did not finish within {wd} s in L1 (killed there): "
                                         f"{cmd.splitlines()[0][:120]}")
                return int(m.group(1)), out
            out.append(text)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait()

    def close(self):
        if self.proc is None:
            return
        if self.proc.poll() is None and not self.dead:
            try:
                self.proc.stdin.write(b"poweroff -f\n")
            except OSError:
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        if self._log:
            self._log.close()


class LocalExecutor:
    kind = "local"

    def __init__(self, stage, log_path, verbose=False):
        self.V = os.path.join(stage, "vmm")
        self.T = os.path.join(stage, "tmp")
        self.log_path = log_path
        self.verbose = verbose
        self.dead = None
        self.boot_s = 0.0
        self._log = None

    def start(self, timeout=0):
        os.makedirs(os.path.join(self.T, "cores"), exist_ok=True)
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        self._log = open(self.log_path, "w")
        return []

    def sh(self, cmd, timeout):
        env = dict(os.environ, V=self.V, T=self.T,
                   PATH=os.path.join(self.V, "bin", "l1") + ":" + os.environ.get("PATH", "/usr/bin:/bin"))
        self._log.write(f">>> {cmd}\n")
        p = subprocess.Popen(["bash", "-c", '. "$V/lib/helpers.sh"\n' + cmd], env=env, cwd=self.T,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
        try:
            data, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            raise CommandTimeout(f"command did not finish within {timeout:.0f} s: {cmd.splitlines()[0][:120]}")
        lines = data.decode("utf-8", "replace").replace("\r", "").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for line in lines:
            self._log.write(line + "\n")
            if self.verbose:
                print(f"    [local] {line}", file=sys.stderr, flush=True)
        self._log.flush()
        return p.returncode, lines

    def close(self):
        if self._log:
            self._log.close()
