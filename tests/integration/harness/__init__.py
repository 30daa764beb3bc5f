"""Integration harness for vmm: builds the guest and test-host images, boots the
arm64 test host (L1) or uses this host directly, and runs scenarios."""
