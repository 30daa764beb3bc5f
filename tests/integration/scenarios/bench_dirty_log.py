"""Bench tier: collecting a guest's dirty pages with KVM's two mechanisms, in the arm64
test host: the bitmap with KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (GET + CLEAR of the
slot, what vmm ships) against the dirty ring (KVM_CAP_DIRTY_LOG_RING_ACQ_REL with
its backup bitmap: walk the ring, KVM_RESET_DIRTY_RINGS), same VM shape, same
guest writes (tests/l1/dirtylog.c). A 512 MiB slot, the guest dirties N pages
between two collections; medians of 8 rounds after a first that faults them in.

  dirty-harvest-N  ours = the bitmap, peer = the ring (no peer VMM is involved: the
                   "peer" column is the mechanism vmm did not choose)
"""
from harness.scenario import Fail, first, scenario

SLOT_MIB = 512
ROUNDS = 9
DIRTY = (256, 4096, 32768)


def _median_us(ctx, mode, pages):
    st, out = ctx.sh(f"dirtylog {mode} {SLOT_MIB} {pages} {ROUNDS}", 300)
    med = first(out, "median")
    if st != 0 or not med:
        raise Fail(f"dirtylog {mode} {SLOT_MIB} {pages}: status {st}, {' / '.join(out[-3:])[:300]}")
    return int(med.split()[1])


@scenario("dirty-log", tier="bench")
def bench_dirty_log(ctx):
    """Dirty-page collection: bitmap (ours) vs dirty ring, 512 MiB slot, 256 / 4096 / 32768 dirty pages."""
    for pages in DIRTY:
        bitmap = _median_us(ctx, "bitmap", pages)
        ring = _median_us(ctx, "ring", pages)
        ratio = f"{bitmap / ring:.2f}" if ring else "n/a"
        ctx.emit(f"bench: dirty-harvest-{pages} ours={bitmap / 1000:.3f}ms peer={ring / 1000:.3f}ms ratio={ratio}")
