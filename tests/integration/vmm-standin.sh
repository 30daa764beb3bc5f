#!/bin/sh
# HARNESS SELF-TEST ONLY (run.py --vmm-stand-in): pretends to be `vmm run` by
# translating its options to the peer QEMU, so the harness (sessions, console
# protocol, reboot/poweroff/SIGTERM handling) can be exercised before vmm exists.
# Results obtained with it say nothing about vmm.
V=${0%/bin/vmm}
[ "$1" = run ] || { echo "vmm: error: stand-in only knows 'run'" >&2; exit 2; }
shift
kernel= initrd= cmdline= smp=1 mem=512M
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2 ;;
	--initrd) initrd=$2 ;;
	--cmdline) cmdline=$2 ;;
	--cpus) smp=$(echo "$2" | sed -n 's/.*boot=\([0-9]*\).*/\1/p'); smp=${smp:-1} ;;
	--memory) mem=$2 ;;
	--acpi) ;;
	*) echo "vmm: error: stand-in: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift 2
done
exec "$V/peer/lib/ld-linux-aarch64.so.1" --library-path "$V/peer/lib" "$V/peer/bin/qemu-system-aarch64" \
	-M virt,gic-version=3 -accel kvm -cpu host -smp "$smp" -m "$mem" -nodefaults -display none \
	-serial stdio -kernel "$kernel" -initrd "$initrd" -append "$cmdline"
