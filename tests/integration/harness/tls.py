"""Test certificates for the migration scenarios, made with the host's `openssl`
(setup installs it): the credentials-directory layout of QEMU and Cloud Hypervisor.

  good/     ca-cert.pem, server-{cert,key}.pem, client-{cert,key}.pem (one CA)
  wrongca/  the same files from another CA
  noclient/ good's CA and server credentials, no client certificate
"""
import os
import shutil
import subprocess


def _run(args, cwd):
    r = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.stderr.strip()[:400]}")


def _make(d, ca_name):
    os.makedirs(d, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _run(["openssl", "req", "-x509", *ec, "-keyout", "ca-key.pem", "-out", "ca-cert.pem", "-days", "3",
          "-subj", f"/CN={ca_name}"], d)
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1,IP:10.99.0.1,IP:10.99.0.2\n")
    for role in ("server", "client"):
        _run(["openssl", "req", *ec, "-keyout", f"{role}-key.pem", "-out", f"{role}.csr",
              "-subj", f"/CN=vmm-test-{role}"], d)
        _run(["openssl", "x509", "-req", "-in", f"{role}.csr", "-CA", "ca-cert.pem", "-CAkey", "ca-key.pem",
              "-CAcreateserial", "-days", "3", "-extfile", "san.ext", "-out", f"{role}-cert.pem"], d)
    for junk in ("san.ext", "server.csr", "client.csr", "ca-cert.srl", "ca-key.pem"):
        p = os.path.join(d, junk)
        if os.path.exists(p):
            os.unlink(p)


def make_pki(root):
    """Writes the three directories under root (anew) and returns root."""
    shutil.rmtree(root, ignore_errors=True)
    _make(os.path.join(root, "good"), "vmm-test-ca")
    _make(os.path.join(root, "wrongca"), "vmm-other-ca")
    nc = os.path.join(root, "noclient")
    os.makedirs(nc)
    for f in ("ca-cert.pem", "server-cert.pem", "server-key.pem"):
        shutil.copy(os.path.join(root, "good", f), os.path.join(nc, f))
    return root


def tree_entries(tree, root, prefix):
    """Adds every file under root to the test-host tree at prefix/tls/."""
    for d, _dirs, files in os.walk(root):
        for f in sorted(files):
            src = os.path.join(d, f)
            rel = os.path.relpath(src, root)
            tree.file(f"{prefix}/tls/{rel}", src, 0o600)
