"""Bench tier: the live-migration transport with kernel TLS, in the arm64 test host
(this machine's kernel has no `tls` module; the test host loads tls.ko). The native
`make bench` run prints the user-space lines against `openssl speed`; here the peer
is the same EVP AES-128-GCM loop measured in-process (no openssl CLI in the test host),
and the user-space figures of the test host are printed as notes beside the -ktls lines."""
from harness.scenario import Fail, q, scenario

MIB = 128


@scenario("transport-ktls", tier="bench")
def bench_transport_ktls(ctx):
    """TLS + zstd RAM transfer over loopback, kernel TLS and user space, in the test host."""
    st, out = ctx.sh(f"grep -o tls /proc/sys/net/ipv4/tcp_available_ulp; "
                     f"{q(ctx.path('bin/transport_bench'))} {ctx.ex.V}/tls/good {MIB}", 900)
    lines = [ln.strip() for ln in out]
    if "tls" not in lines[:1]:
        ctx.note("  the test host's kernel offers no tls ULP (tls.ko not loaded)")
    got = False
    for ln in lines:
        if ln.startswith("bench: transport-") and "-ktls" in ln:
            ctx.emit(ln)
            got = True
        elif ln.startswith("bench: transport-"):
            ctx.note("  in the test host, user space: " + ln[len("bench: "):])
        elif ln.startswith("bench-note:"):
            ctx.note("  " + ln)
    if st != 0 or not got:
        raise Fail(f"transport_bench in the test host: status {st}, {' / '.join(lines[-5:])[:300]}")
