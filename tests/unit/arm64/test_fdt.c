// SPDX-License-Identifier: MIT
/* The device tree blob, checked by decompiling it with dtc (device-tree-compiler). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/arm64/boot_plan.h"
#include "vmm/arm64/fdt.h"
#include "vmm/arm64/memory_map.h"

/* Decompiles the blob with dtc; returns the source text (caller frees). */
static char *decompile(const void *blob, size_t size)
{
	char in[] = "/tmp/vmm-fdt-XXXXXX";
	char cmd[256];
	char *text;
	size_t len = 0, cap = 1 << 16;
	FILE *p;
	int fd, status;

	fd = mkstemp(in);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, blob, size), (ssize_t)size);
	close(fd);
	snprintf(cmd, sizeof(cmd), "dtc -q -I dtb -O dts %s 2>&1", in);
	p = popen(cmd, "r");
	cr_assert_not_null(p, "cannot run dtc (install device-tree-compiler)");
	text = malloc(cap);
	for (;;) {
		size_t n = fread(text + len, 1, cap - len - 1, p);

		if (n == 0)
			break;
		len += n;
		if (len + 1 == cap)
			text = realloc(text, cap *= 2);
	}
	text[len] = 0;
	status = pclose(p);
	unlink(in);
	cr_assert_eq(status, 0, "dtc failed (status %d): %s", status, text);
	return text;
}

static const uint64_t mpidrs[] = { 0x0, 0x1 };

static struct fdt_machine full_machine(void)
{
	struct fdt_machine m = {
		.ram_base = LAYOUT_RAM_BASE,
		.ram_size = 512ULL << 20,
		.bootargs = "console=ttyAMA0 quiet",
		.initrd_start = 0x5f000000,
		.initrd_end = 0x5f123456,
		.nr_cpus = 2,
		.mpidrs = mpidrs,
		.pmu = true,
	};

	m.nr_redist = gic_redist_layout(4, m.redist);
	return m;
}

Test(fdt, full_tree_describes_the_machine)
{
	static uint8_t blob[BOOT_FDT_MAX_SIZE];
	struct fdt_machine m = full_machine();
	char *dts;

	cr_assert_eq(fdt_build(&m, blob, sizeof(blob)), 0);
	dts = decompile(blob, sizeof(blob));
	cr_assert(strstr(dts, "compatible = \"linux,dummy-virt\""), "%s", dts);
	cr_assert(strstr(dts, "bootargs = \"console=ttyAMA0 quiet\""));
	cr_assert(strstr(dts, "linux,initrd-start = <0x00 0x5f000000>"), "%s", dts);
	cr_assert(strstr(dts, "linux,initrd-end = <0x00 0x5f123456>"), "%s", dts);
	cr_assert(strstr(dts, "memory@40000000"));
	cr_assert(strstr(dts, "reg = <0x00 0x40000000 0x00 0x20000000>"), "%s", dts);
	/* Only the boot vCPUs are described. */
	cr_assert(strstr(dts, "cpu@0 {"));
	cr_assert(strstr(dts, "cpu@1 {"));
	cr_assert_null(strstr(dts, "cpu@2"));
	cr_assert(strstr(dts, "enable-method = \"psci\""));
	/* GICv3: distributor + one redistributor region sized for all 4 possible vCPUs. */
	cr_assert(strstr(dts, "intc@8000000"));
	cr_assert(strstr(dts, "compatible = \"arm,gic-v3\""));
	cr_assert(strstr(dts, "reg = <0x00 0x8000000 0x00 0x10000 0x00 0x80a0000 0x00 0x80000>"), "%s", dts);
	cr_assert(strstr(dts, "#redistributor-regions = <0x01>"));
	cr_assert(strstr(dts, "compatible = \"arm,armv8-timer\""));
	cr_assert(strstr(dts, "interrupts = <0x01 0x0d 0x04 0x01 0x0e 0x04 0x01 0x0b 0x04 0x01 0x0a 0x04>"), "%s",
		  dts);
	cr_assert(strstr(dts, "compatible = \"arm,psci-1.0\\0arm,psci-0.2\""), "%s", dts);
	cr_assert(strstr(dts, "method = \"hvc\""));
	cr_assert(strstr(dts, "compatible = \"arm,armv8-pmuv3\""));
	cr_assert(strstr(dts, "pl011@9000000"));
	cr_assert(strstr(dts, "interrupts = <0x00 0x01 0x04>"), "%s", dts);
	cr_assert(strstr(dts, "stdout-path = \"/pl011@9000000\""));
	cr_assert_null(strstr(dts, "uefi"));
	free(dts);
}

Test(fdt, many_vcpus_use_two_redistributor_regions)
{
	static uint8_t blob[BOOT_FDT_MAX_SIZE];
	struct fdt_machine m = full_machine();
	char *dts;

	m.nr_redist = gic_redist_layout(200, m.redist);
	cr_assert_eq(m.nr_redist, 2);
	cr_assert_eq(m.redist[0].count, 123);
	cr_assert_eq(m.redist[1].count, 77);
	cr_assert_eq(fdt_build(&m, blob, sizeof(blob)), 0);
	dts = decompile(blob, sizeof(blob));
	cr_assert(strstr(dts, "#redistributor-regions = <0x02>"), "%s", dts);
	cr_assert(strstr(dts, "0x00 0x80a0000 0x00 0xf60000 0x40 0x00 0x00 0x9a0000>"), "%s", dts);
	free(dts);
}

Test(fdt, acpi_stub_has_only_chosen)
{
	static uint8_t blob[BOOT_FDT_MAX_SIZE];
	struct fdt_efi_handover efi = {
		.system_table = 0x5fe00000, .mmap = 0x5fe01000, .mmap_size = 96, .desc_size = 48, .desc_version = 1,
	};
	struct fdt_machine m = full_machine();
	char *dts;

	m.efi = &efi;
	cr_assert_eq(fdt_build(&m, blob, sizeof(blob)), 0);
	dts = decompile(blob, sizeof(blob));
	cr_assert(strstr(dts, "linux,uefi-system-table = <0x00 0x5fe00000>"), "%s", dts);
	cr_assert(strstr(dts, "linux,uefi-mmap-start = <0x00 0x5fe01000>"), "%s", dts);
	cr_assert(strstr(dts, "linux,uefi-mmap-size = <0x60>"), "%s", dts);
	cr_assert(strstr(dts, "linux,uefi-mmap-desc-size = <0x30>"), "%s", dts);
	cr_assert(strstr(dts, "linux,uefi-mmap-desc-ver = <0x01>"), "%s", dts);
	cr_assert(strstr(dts, "linux,uefi-secure-boot = <0x02>"), "%s", dts);
	cr_assert(strstr(dts, "bootargs"));
	cr_assert_null(strstr(dts, "cpus {"));
	cr_assert_null(strstr(dts, "memory@"));
	cr_assert_null(strstr(dts, "intc@"));
	free(dts);
}

Test(fdt, too_small_buffer_and_bad_input)
{
	uint8_t blob[64];
	struct fdt_machine m = full_machine();

	cr_assert_eq(fdt_build(&m, blob, sizeof(blob)), -ENOSPC);
	m.nr_cpus = 0;
	cr_assert_eq(fdt_build(&m, blob, sizeof(blob)), -EINVAL);
}
