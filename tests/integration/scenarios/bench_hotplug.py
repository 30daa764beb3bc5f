"""Bench tier: vCPU hot-plug latencies (no peer can hot-plug arm64 vCPUs: peer=none).

  hotplug-vmm      device_add received -> GED interrupt raised (vmm's own clock)
  hotplug-enabled  device_add sent -> the CPU appears in the guest's `enabled`
  hotplug-online   device_add sent -> the CPU is online (the guest onlines it at once)
  hotunplug        device_del sent -> DEVICE_DELETED received
"""
import re
import statistics

from harness.scenario import Fail, q, scenario
from scenarios.hotplug import HotplugVM

RUNS = 10

# A guest agent that reacts the moment CPU 4 is registered, as a udev rule would:
# prints EN4-k when it appears, onlines it, prints ON4-k. `read` is a shell
# builtin, so the poll loop does not fork.
AGENT = ("(k=0; f=/sys/devices/system/cpu/cpu4/online; while :; do "
         "if [ -e $f ]; then read v < $f; if [ \"$v\" = 0 ]; then k=$((k+1)); echo EN4-$k; "
         "echo 1 > $f; echo ON4-$k; fi; fi; done) &")


@scenario("hotplug", tier="bench")
def bench_hotplug(ctx):
    """Hot-plug and hot-unplug latencies, medians of 10."""
    vm = HotplugVM(ctx, "bench-hp")
    vm.guest(AGENT)
    out_file = f"{ctx.ex.T}/s/bench-hp/out"
    vmm_ms, enabled_ms, online_ms, unplug_ms = [], [], [], []
    for k in range(1, RUNS + 1):
        st, out = ctx.sh(
            f"t0=$(l1util now); {q(ctx.vmm)} cpu add 4 --api {q(vm.sock)}; "
            f"l1util wait -n {k} {q(out_file)} EN4- 60000 > /dev/null; t1=$(l1util now); "
            f"l1util wait -n {k} {q(out_file)} ON4- 60000 > /dev/null; t2=$(l1util now); "
            f"echo \"@t $t0 $t1 $t2\"", 180)
        t = next((ln.split()[1:] for ln in out if ln.startswith("@t ")), None)
        m = next((re.search(r"\(([0-9.]+) ms", ln) for ln in out if "plugged as" in ln), None)
        if st != 0 or not t or not m:
            raise Fail(f"plug {k}: status {st}, {' / '.join(out)[:200]}")
        t0, t1, t2 = map(int, t)
        vmm_ms.append(float(m.group(1)))
        enabled_ms.append(t1 - t0)
        online_ms.append(t2 - t0)
        st, out = ctx.sh(f"{q(ctx.vmm)} cpu del 4 --timeout 60 --api {q(vm.sock)}", 120)
        m = next((re.search(r"\(([0-9.]+) ms", ln) for ln in out if "unplugged" in ln), None)
        if st != 0 or not m:
            raise Fail(f"unplug {k}: status {st}, {' / '.join(out)[:200]}")
        unplug_ms.append(float(m.group(1)))
        ctx.note(f"  run {k}: vmm {vmm_ms[-1]:.3f} ms, enabled {enabled_ms[-1]} ms, online {online_ms[-1]} ms, "
                 f"unplug {unplug_ms[-1]:.0f} ms")
    for name, vals, fmt in (("hotplug-vmm", vmm_ms, "{:.3f}"), ("hotplug-enabled", enabled_ms, "{:.0f}"),
                            ("hotplug-online", online_ms, "{:.0f}"), ("hotunplug", unplug_ms, "{:.0f}")):
        ctx.emit(f"bench: {name} ours={fmt.format(statistics.median(vals))}ms peer=none ratio=none")
    vm.stop()
