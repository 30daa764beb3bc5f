"""Integration tier: vmm-compat agrees with what a real restore and a real migration do
(issue "migrate-compat: know before a move or a restore whether source and destination fit")."""
from harness.scenario import Fail, Status, expect, first, q, scenario, tagged
from scenarios.migrate import Guest, Hosts, Incoming, migrate
from scenarios.snapshot import Restored, _snapshot

HOST_JSON = "/tmp/compat-host.json"


def _compat(ctx, source, dest=HOST_JSON):
    """(exit status, finding codes) of `vmm-compat check --json`."""
    st, out = ctx.sh(f"{q(ctx.path('bin/vmm-compat'))} check --source {q(source)} --dest {q(dest)} --json", 120)
    codes = [ln.split('"code"')[1].split('"')[1] for ln in out if '"code"' in ln]
    return st, codes, out


def _restore_refused(ctx, name, snapdir):
    """Runs `vmm restore` once: (refused?, its error line)."""
    _rc, lines = ctx.sh(f"run_once {name} 60000 {q(ctx.vmm)} restore --from {q(snapdir)}", 120)
    st = Status(first(lines, "status"))
    errs = [e for e in tagged(lines, "err") if e.startswith("vmm: error:")]
    return (not st.running and st.kind == "exit" and st.code != 0), (errs[0] if errs else f"{st}")


@scenario("compat-agrees", tier="integration")
def compat_agrees(ctx):
    """vmm-compat against this host's `vmm describe-host`: a compatible pair restores and migrates;
    pairs made incompatible (a smaller vCPU limit, a missing register, a newer section version) are
    refused by vmm-compat with the right code, and where a real restore can meet the same
    incompatibility it refuses too."""
    hosts = Hosts(ctx)
    st, out = ctx.sh(f"{q(ctx.vmm)} describe-host > {HOST_JSON} && grep -c reg_list {HOST_JSON}", 120)
    expect(st == 0, f"`vmm describe-host` failed: {out!r}")
    vm = Guest(ctx, hosts, "compat-a", cpus="boot=2,max=4")
    vm.plug(2)
    vm.wait_sysfs("enabled", "0-2")
    # The running VM as the source (through its QMP socket).
    st, codes, out = _compat(ctx, f"qmp:{vm.sock}")
    problems = []
    ctx.note(f"  running VM: exit {st}, findings {codes}")
    if st != 0:
        problems.append(f"running VM: vmm-compat exit {st}, {codes} ({' '.join(out)[:200]})")
    snap = "/tmp/snap-compat"
    ctx.sh(f"rm -rf {snap}*", 30)
    _snapshot(vm, snap)

    # Compatible: vmm-compat says so, a real restore and a real migration work.
    st, codes, out = _compat(ctx, snap)
    ctx.note(f"  compatible pair: exit {st}, findings {codes}")
    if st != 0:
        problems.append(f"compatible pair: vmm-compat exit {st}, {codes} ({' '.join(out)[:200]})")
    dst = Incoming(ctx, hosts, "compat-b", host=1)
    migrate(vm, dst)
    vm.s.wait_exit(60)
    dst.wait_sysfs("enabled", "0-2")
    dst.stop()
    r = Restored(ctx, "compat-r", snap)
    st, out = r.guest("echo alive")
    if st != 0 or out != ["alive"]:
        problems.append(f"compatible pair: the real restore did not come up: {out!r}")
    r.stop()

    # A destination with a smaller KVM vCPU limit.
    small = "/tmp/compat-small.json"
    ctx.sh(f"awk '/\"kvm\"/{{k=1}} k && /\"max_vcpus\"/ && !d {{sub(/[0-9]+/, \"2\"); d=1}} {{print}}' "
           f"{HOST_JSON} > {small}", 30)
    st, codes, out = _compat(ctx, snap, small)
    ctx.note(f"  vCPU limit 2: exit {st}, findings {codes}")
    if st != 1 or "vcpu-limit" not in codes:
        problems.append(f"smaller vCPU limit: vmm-compat exit {st}, {codes} (expected 1 with vcpu-limit)")

    # A destination whose KVM does not know a register the source saved.
    noreg = "/tmp/compat-noreg.json"
    ctx.sh(f"awk '/\"reg_list\"/{{r=1; print; next}} r && /0x/ && !d {{d=1; next}} {{print}}' "
           f"{HOST_JSON} | sed -e ':a' -e 'N' -e '$!ba' -e 's/\\[\\n *,/[/' > {noreg}", 30)
    st, codes, out = _compat(ctx, snap, noreg)
    ctx.note(f"  missing register: exit {st}, findings {codes}")
    if st != 1 or "register-unknown" not in codes:
        problems.append(f"missing register: vmm-compat exit {st}, {codes} (expected 1 with register-unknown)")

    # A source with a section version newer than this build loads: vmm-compat and a real restore agree.
    newer = snap + "-newer"
    st, out = ctx.sh(f"mkdir -p {newer} && cp {snap}/state {newer}/ && ln -s {snap}/memory {newer}/memory && "
                     f"snapfix {newer}/state section-version gicv3-cpu 99 && echo @ok", 60)
    if "@ok" not in out:
        problems.append(f"cannot make the newer-section snapshot: {out!r}")
    else:
        st, codes, out = _compat(ctx, newer)
        refused, err = _restore_refused(ctx, "compat-newer", newer)
        ctx.note(f"  newer section version: vmm-compat exit {st}, findings {codes}; restore: {err[:160]}")
        if st != 1 or "section-version" not in codes:
            problems.append(f"newer section: vmm-compat exit {st}, {codes} (expected 1 with section-version)")
        if not refused or "gicv3-cpu" not in err:
            problems.append(f"newer section: the real restore did not refuse naming gicv3-cpu: {err[:200]}")
    ctx.sh(f"rm -rf {snap} {newer}", 60)
    if problems:
        raise Fail(f"{len(problems)} disagreement(s), first: {problems[0]}", details=problems)
