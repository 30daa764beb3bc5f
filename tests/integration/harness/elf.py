"""Shared-library closure of an ELF64 little-endian executable inside an unpacked
root file tree (no readelf needed): follows PT_INTERP and DT_NEEDED recursively."""
import os
import struct

PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB, DT_RPATH, DT_RUNPATH = 0, 1, 5, 15, 29

LIB_DIRS = ("lib/aarch64-linux-gnu", "usr/lib/aarch64-linux-gnu", "lib", "usr/lib", "lib64", "usr/lib64")


class ElfError(Exception):
    pass


def parse(path):
    """Returns (interp or None, [needed sonames], [runpath dirs])."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ElfError(f"{path}: not an ELF64 little-endian file")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads, dyn, interp = [], None, None
    for i in range(phnum):
        p_type, _flags, off, vaddr, _paddr, filesz, _memsz, _align = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == PT_LOAD:
            loads.append((vaddr, off, filesz))
        elif p_type == PT_DYNAMIC:
            dyn = (off, filesz)
        elif p_type == PT_INTERP:
            interp = data[off:off + filesz].split(b"\0")[0].decode()
    if dyn is None:
        return interp, [], []

    def v2o(vaddr):
        for base, off, size in loads:
            if base <= vaddr < base + size:
                return vaddr - base + off
        raise ElfError(f"{path}: address {vaddr:#x} outside the file")

    entries = []
    off, size = dyn
    for pos in range(off, off + size, 16):
        tag, val = struct.unpack_from("<qQ", data, pos)
        if tag == DT_NULL:
            break
        entries.append((tag, val))
    strtab = next((v for t, v in entries if t == DT_STRTAB), None)
    if strtab is None:
        raise ElfError(f"{path}: no DT_STRTAB")
    stroff = v2o(strtab)

    def string(i):
        end = data.index(b"\0", stroff + i)
        return data[stroff + i:end].decode()

    needed = [string(v) for t, v in entries if t == DT_NEEDED]
    runpath = []
    for t, v in entries:
        if t in (DT_RPATH, DT_RUNPATH):
            runpath += [d for d in string(v).split(":") if d]
    return interp, needed, runpath


def resolve(root, path):
    """Resolves path (absolute inside root) through symlinks, staying inside root."""
    parts = [p for p in path.split("/") if p]
    done = root
    hops = 0
    while parts:
        p = parts.pop(0)
        cand = os.path.join(done, p)
        if os.path.islink(cand):
            hops += 1
            if hops > 40:
                raise ElfError(f"symlink loop at {cand}")
            target = os.readlink(cand)
            if target.startswith("/"):
                done = root
            parts = [x for x in target.split("/") if x] + parts
        elif p == "..":
            done = os.path.dirname(done) if done != root else root
        elif p != ".":
            done = cand
    return done


def closure(root, exe_rel):
    """Returns (interp_file, {soname: file}) for root/exe_rel, all inside root."""
    exe = resolve(root, exe_rel)
    interp, _, _ = parse(exe)
    interp_file = resolve(root, interp) if interp else None
    libs, todo = {}, [(exe, exe_rel)]
    while todo:
        path, rel = todo.pop()
        _, needed, runpath = parse(path)
        origin = os.path.dirname("/" + rel)
        dirs = [d.replace("$ORIGIN", origin).replace("${ORIGIN}", origin) for d in runpath] + list(LIB_DIRS)
        for soname in needed:
            if soname in libs:
                continue
            if interp and soname == os.path.basename(interp):
                libs[soname] = interp_file
                continue
            for d in dirs:
                cand = resolve(root, "/" + d.strip("/") + "/" + soname)
                if os.path.isfile(cand):
                    libs[soname] = cand
                    todo.append((cand, os.path.relpath(cand, root)))
                    break
            else:
                raise ElfError(f"{soname} (needed by {rel}) not found under {root}")
    return interp_file, libs
