"""Builds the L2 guest initramfs and the test-host tree (L1 initramfs, or a
staging directory when this host runs the scenarios itself).

The test-host tree is described once as a list of entries and then either
written as an uncompressed newc cpio (L1) or materialised on disk (local).
"""
import gzip
import io
import lzma
import os
import shutil
import stat

from . import cpio, elf

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
GUEST_INIT = os.path.join(REPO, "tests", "guest", "init")
L1_INIT = os.path.join(REPO, "tests", "l1", "init")
HELPERS = os.path.join(REPO, "tests", "l1", "helpers.sh")
STANDIN = os.path.join(REPO, "tests", "integration", "vmm-standin.sh")

# Inside the test host (L1 or the staging directory), under $V:
V_VMM = "bin/vmm"
V_L1BIN = "bin/l1"
V_HELPERS = "lib/helpers.sh"
V_IMAGE = "guest/Image"
V_INITRD = "guest/rootfs.cpio.gz"
V_PEER_BIN = "peer/bin/qemu-system-aarch64"
V_PEER_LIB = "peer/lib"


def l1_modules(modules_dir):
    """The test host's kernel modules in load order: tools/setup.sh (L1_MODULES) writes
    them to modules.list beside the modules directory."""
    try:
        with open(os.path.join(os.path.dirname(modules_dir.rstrip("/")), "modules.list")) as f:
            return f.read().split()
    except OSError:
        return []


def _base_dirs(w):
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "tmp", "root", "etc", "run"):
        w.dir(d)
    w.chardev("dev/console", 5, 1)
    w.chardev("dev/null", 1, 3, mode=0o666)


# Kernel modules the guest loads at boot (virtio-blk disks with an ext2/ext4 filesystem),
# in load order; tools/setup.sh keeps them in the cache's kernel/modules/.
GUEST_MODULES = ("crc16", "crc32c_generic", "mbcache", "jbd2", "ext4", "virtio_mmio", "virtio_blk")


def build_guest_rootfs(busybox, out_path, bins=None, modules_dir=None):
    """The L2 guest: busybox, its /init, the guest's kernel modules, the static helpers of
    tests/guest/*.c (bins: name -> path, put in /bin), gzip-compressed newc cpio."""
    raw = io.BytesIO()
    w = cpio.NewcWriter(raw)
    _base_dirs(w)
    if modules_dir:
        w.dir("lib")
        w.dir("lib/modules")
        for name in GUEST_MODULES:
            src = os.path.join(modules_dir, name + ".ko.xz")
            if os.path.exists(src):
                with open(src, "rb") as x:
                    w.data(f"lib/modules/{name}.ko", lzma.decompress(x.read()), mode=0o644)
    w.file("bin/busybox", busybox, mode=0o755)
    w.symlink("bin/sh", "busybox")
    for name, path in sorted((bins or {}).items()):
        w.file(f"bin/{name}", path, mode=0o755)
    w.file("init", GUEST_INIT, mode=0o755)
    w.close()
    with open(out_path + ".tmp", "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=6, mtime=0) as gz:
            gz.write(raw.getvalue())
    os.replace(out_path + ".tmp", out_path)
    return os.path.getsize(out_path)


class Tree:
    """Files of the test host: (path inside the host, kind, source, mode)."""

    def __init__(self):
        self.entries = []

    def file(self, path, src, mode=None):
        self.entries.append((path, "file", src, mode))

    def data(self, path, content, mode=0o644):
        self.entries.append((path, "data", content, mode))

    def size(self):
        total = 0
        for _path, kind, src, _mode in self.entries:
            total += os.path.getsize(src) if kind == "file" else len(src)
        return total


def peer_entries(tree, peer_root, prefix):
    """Adds the peer QEMU and exactly the shared objects it loads (DT_NEEDED closure)."""
    interp, libs = elf.closure(peer_root, "usr/bin/qemu-system-aarch64")
    if interp is None:
        raise elf.ElfError("peer qemu-system-aarch64 has no ELF interpreter")
    tree.file(f"{prefix}/{V_PEER_BIN}", os.path.join(peer_root, "usr/bin/qemu-system-aarch64"), 0o755)
    tree.file(f"{prefix}/{V_PEER_LIB}/ld-linux-aarch64.so.1", interp, 0o755)
    for soname, path in sorted(libs.items()):
        if soname != "ld-linux-aarch64.so.1":
            tree.file(f"{prefix}/{V_PEER_LIB}/{soname}", path, 0o644)
    return len(libs)


def host_tree(prefix, *, image, initrd, l1_bins, vmm=None, standin=False, peer_root=None):
    """Everything the scenarios find under $V (prefix is "vmm" in L1)."""
    t = Tree()
    t.file(f"{prefix}/{V_HELPERS}", HELPERS, 0o644)
    t.file(f"{prefix}/{V_IMAGE}", image, 0o644)
    t.file(f"{prefix}/{V_INITRD}", initrd, 0o644)
    for name, path in sorted(l1_bins.items()):
        t.file(f"{prefix}/{V_L1BIN}/{name}", path, 0o755)
    if standin:
        t.file(f"{prefix}/{V_VMM}", STANDIN, 0o755)
    elif vmm:
        t.file(f"{prefix}/{V_VMM}", vmm, 0o755)
        for tool in ("vmm-inspect", "vmm-compat", "transport_bench"):
            path = os.path.join(os.path.dirname(vmm), tool)
            if os.path.exists(path):
                t.file(f"{prefix}/bin/{tool}", path, 0o755)
    if peer_root:
        peer_entries(t, peer_root, prefix)
    return t


def write_l1_cpio(tree, out_path, *, busybox, modules_dir=None):
    """The L1 initramfs: uncompressed newc cpio (the kernel unpacks it fastest)."""
    with open(out_path + ".tmp", "wb") as f:
        w = cpio.NewcWriter(f)
        _base_dirs(w)
        w.file("bin/busybox", busybox, mode=0o755)
        w.symlink("bin/sh", "busybox")
        w.file("init", L1_INIT, mode=0o755)
        # The kernel modules the test host loads at boot, decompressed (setup keeps them),
        # and their load order (lib/modules/order, read by the init).
        loaded = []
        for mod in (l1_modules(modules_dir) if modules_dir else []):
            path = os.path.join(modules_dir, f"{mod}.ko.xz")
            if os.path.exists(path):
                with open(path, "rb") as x:
                    w.data(f"lib/modules/{mod}.ko", lzma.decompress(x.read()), mode=0o644)
                loaded.append(mod)
        w.data("lib/modules/order", ("\n".join(loaded) + "\n").encode(), mode=0o644)
        for path, kind, src, mode in tree.entries:
            if kind == "file":
                w.file(path, src, mode)
            else:
                w.data(path, src, mode)
        w.close()
    os.replace(out_path + ".tmp", out_path)
    return os.path.getsize(out_path)


def materialise(tree, root):
    """Local mode: lays the tree out under root (large files as symlinks)."""
    if os.path.exists(root):
        shutil.rmtree(root)
    for path, kind, src, mode in tree.entries:
        dst = os.path.join(root, path)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if kind == "file":
            if mode is not None and (mode & 0o111) and not (os.stat(src).st_mode & 0o111):
                shutil.copyfile(src, dst)
                os.chmod(dst, mode)
            else:
                os.symlink(os.path.abspath(src), dst)
        else:
            with open(dst, "wb") as f:
                f.write(src)
            os.chmod(dst, mode)
    return root


def is_executable(path):
    try:
        return stat.S_ISREG(os.stat(path).st_mode) and os.access(path, os.X_OK)
    except OSError:
        return False
