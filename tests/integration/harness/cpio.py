"""A minimal writer for the newc ("070701") cpio format the kernel unpacks.

Every entry is owned by root (uid/gid 0) whatever the builder's privileges, so
images are built without root and without fakeroot.
"""
import os
import stat

_BLOCK = 1 << 20


class NewcWriter:
    def __init__(self, fileobj, mtime=0):
        self._f = fileobj
        self._ino = 721
        self._mtime = mtime
        self._dirs = set()

    def _header(self, name, mode, size, nlink=1, rdev=(0, 0)):
        name_b = name.encode() + b"\0"
        fields = (self._ino, mode, 0, 0, nlink, self._mtime, size, 0, 0, rdev[0], rdev[1], len(name_b), 0)
        self._ino += 1
        self._f.write(b"070701" + b"".join(b"%08X" % v for v in fields) + name_b)
        self._pad(110 + len(name_b))

    def _pad(self, n):
        if n % 4:
            self._f.write(b"\0" * (4 - n % 4))

    @staticmethod
    def _norm(path):
        path = path.strip("/")
        if not path:
            raise ValueError("empty cpio path")
        return path

    def _parents(self, path):
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            self.dir("/".join(parts[:i]))

    def dir(self, path, mode=0o755):
        path = self._norm(path)
        if path in self._dirs:
            return
        self._parents(path)
        self._dirs.add(path)
        self._header(path, stat.S_IFDIR | mode, 0, nlink=2)

    def data(self, path, content, mode=0o644):
        path = self._norm(path)
        self._parents(path)
        self._header(path, stat.S_IFREG | mode, len(content))
        self._f.write(content)
        self._pad(len(content))

    def file(self, path, src, mode=None):
        """Copies the host file src (following symlinks) into the archive."""
        path = self._norm(path)
        self._parents(path)
        st = os.stat(src)
        if mode is None:
            mode = 0o755 if st.st_mode & 0o111 else 0o644
        self._header(path, stat.S_IFREG | mode, st.st_size)
        with open(src, "rb") as f:
            copied = 0
            while True:
                block = f.read(_BLOCK)
                if not block:
                    break
                self._f.write(block)
                copied += len(block)
        if copied != st.st_size:
            raise OSError(f"{src} changed size while archiving")
        self._pad(st.st_size)

    def symlink(self, path, target):
        path = self._norm(path)
        self._parents(path)
        t = target.encode()
        self._header(path, stat.S_IFLNK | 0o777, len(t))
        self._f.write(t)
        self._pad(len(t))

    def chardev(self, path, major, minor, mode=0o600):
        path = self._norm(path)
        self._parents(path)
        self._header(path, stat.S_IFCHR | mode, 0, rdev=(major, minor))

    def close(self):
        self._header("TRAILER!!!", 0, 0, nlink=1)
