// SPDX-License-Identifier: MIT
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>

#include "vmm/arm64/fdt.h"
#include "vmm/arm64/memory_map.h"
#include "vmm/arm64/mpidr.h"

#define PHANDLE_GIC 1
#define PHANDLE_CLK 2

/* GIC DT interrupt specifier: type, number, flags. */
#define GIC_FDT_SPI 0
#define GIC_FDT_PPI 1
#define IRQ_TYPE_EDGE_RISING 1
#define IRQ_TYPE_LEVEL_HIGH 4
#define IRQ_TYPE_LEVEL_LOW 8

#define TRY(expr)                       \
	do {                            \
		int __r = (expr);       \
		if (__r < 0)            \
			return __r;     \
	} while (0)

static int prop_u64_pair(void *fdt, const char *name, uint64_t a, uint64_t b)
{
	fdt64_t v[2] = { cpu_to_fdt64(a), cpu_to_fdt64(b) };

	return fdt_property(fdt, name, v, sizeof(v));
}

static int build_chosen(void *fdt, const struct fdt_machine *m)
{
	TRY(fdt_begin_node(fdt, "chosen"));
	TRY(fdt_property_string(fdt, "bootargs", m->bootargs ? m->bootargs : ""));
	if (m->initrd_end > m->initrd_start) {
		TRY(fdt_property_u64(fdt, "linux,initrd-start", m->initrd_start));
		TRY(fdt_property_u64(fdt, "linux,initrd-end", m->initrd_end));
	}
	if (m->efi) {
		TRY(fdt_property_u64(fdt, "linux,uefi-system-table", m->efi->system_table));
		TRY(fdt_property_u64(fdt, "linux,uefi-mmap-start", m->efi->mmap));
		TRY(fdt_property_u32(fdt, "linux,uefi-mmap-size", m->efi->mmap_size));
		TRY(fdt_property_u32(fdt, "linux,uefi-mmap-desc-size", m->efi->desc_size));
		TRY(fdt_property_u32(fdt, "linux,uefi-mmap-desc-ver", m->efi->desc_version));
		/* Debian kernels ignore the EFI properties unless this says "disabled" (2). */
		TRY(fdt_property_u32(fdt, "linux,uefi-secure-boot", 2));
	} else {
		TRY(fdt_property_string(fdt, "stdout-path", "/pl011@9000000"));
	}
	return fdt_end_node(fdt);
}

static int build_cpus(void *fdt, const struct fdt_machine *m)
{
	unsigned i;
	char name[32];

	TRY(fdt_begin_node(fdt, "cpus"));
	TRY(fdt_property_u32(fdt, "#address-cells", 2));
	TRY(fdt_property_u32(fdt, "#size-cells", 0));
	for (i = 0; i < m->nr_cpus; i++) {
		uint64_t aff = m->mpidrs[i] & MPIDR_AFFINITY_MASK;

		snprintf(name, sizeof(name), "cpu@%llx", (unsigned long long)aff);
		TRY(fdt_begin_node(fdt, name));
		TRY(fdt_property_string(fdt, "device_type", "cpu"));
		TRY(fdt_property_string(fdt, "compatible", "arm,arm-v8"));
		TRY(fdt_property_u64(fdt, "reg", aff));
		TRY(fdt_property_string(fdt, "enable-method", "psci"));
		TRY(fdt_end_node(fdt));
	}
	return fdt_end_node(fdt);
}

static int build_gic(void *fdt, const struct fdt_machine *m)
{
	fdt64_t reg[2 * (1 + GIC_MAX_REDIST_REGIONS)];
	unsigned i, n = 0;
	char name[32];

	reg[n++] = cpu_to_fdt64(LAYOUT_GICD_BASE);
	reg[n++] = cpu_to_fdt64(LAYOUT_GICD_SIZE);
	for (i = 0; i < m->nr_redist; i++) {
		reg[n++] = cpu_to_fdt64(m->redist[i].base);
		reg[n++] = cpu_to_fdt64((uint64_t)m->redist[i].count * LAYOUT_GICR_STRIDE);
	}
	snprintf(name, sizeof(name), "intc@%llx", LAYOUT_GICD_BASE);
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
	TRY(fdt_property_u32(fdt, "#interrupt-cells", 3));
	TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	TRY(fdt_property_u32(fdt, "#redistributor-regions", m->nr_redist));
	TRY(fdt_property(fdt, "reg", reg, n * sizeof(reg[0])));
	TRY(fdt_property_u32(fdt, "phandle", PHANDLE_GIC));
	return fdt_end_node(fdt);
}

static int irq_prop(void *fdt, const char *name, const uint32_t (*spec)[3], unsigned n)
{
	fdt32_t v[4 * 3];
	unsigned i;

	for (i = 0; i < n; i++) {
		v[3 * i] = cpu_to_fdt32(spec[i][0]);
		v[3 * i + 1] = cpu_to_fdt32(spec[i][1]);
		v[3 * i + 2] = cpu_to_fdt32(spec[i][2]);
	}
	return fdt_property(fdt, name, v, n * 3 * sizeof(fdt32_t));
}

static int build_timer_psci_pmu(void *fdt, const struct fdt_machine *m)
{
	static const uint32_t timer_irqs[4][3] = {
		{ GIC_FDT_PPI, LAYOUT_PPI_TIMER_SEC, IRQ_TYPE_LEVEL_HIGH },
		{ GIC_FDT_PPI, LAYOUT_PPI_TIMER_PHYS, IRQ_TYPE_LEVEL_HIGH },
		{ GIC_FDT_PPI, LAYOUT_PPI_TIMER_VIRT, IRQ_TYPE_LEVEL_HIGH },
		{ GIC_FDT_PPI, LAYOUT_PPI_TIMER_HYP, IRQ_TYPE_LEVEL_HIGH },
	};
	static const uint32_t pmu_irq[1][3] = { { GIC_FDT_PPI, LAYOUT_PPI_PMU, IRQ_TYPE_LEVEL_HIGH } };
	static const char psci_compat[] = "arm,psci-1.0\0arm,psci-0.2";

	TRY(fdt_begin_node(fdt, "timer"));
	TRY(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
	TRY(irq_prop(fdt, "interrupts", timer_irqs, 4));
	TRY(fdt_property(fdt, "always-on", NULL, 0));
	TRY(fdt_end_node(fdt));

	TRY(fdt_begin_node(fdt, "psci"));
	TRY(fdt_property(fdt, "compatible", psci_compat, sizeof(psci_compat)));
	TRY(fdt_property_string(fdt, "method", "hvc"));
	TRY(fdt_end_node(fdt));

	if (m->pmu) {
		TRY(fdt_begin_node(fdt, "pmu"));
		TRY(fdt_property_string(fdt, "compatible", "arm,armv8-pmuv3"));
		TRY(irq_prop(fdt, "interrupts", pmu_irq, 1));
		TRY(fdt_end_node(fdt));
	}
	return 0;
}

static int build_uart(void *fdt)
{
	static const char compat[] = "arm,pl011\0arm,primecell";
	static const char clk_names[] = "uartclk\0apb_pclk";
	const uint32_t irq[1][3] = { { GIC_FDT_SPI, LAYOUT_UART_INTID - LAYOUT_SPI_BASE, IRQ_TYPE_LEVEL_HIGH } };
	fdt32_t clocks[2] = { cpu_to_fdt32(PHANDLE_CLK), cpu_to_fdt32(PHANDLE_CLK) };
	char name[32];

	TRY(fdt_begin_node(fdt, "apb-pclk"));
	TRY(fdt_property_string(fdt, "compatible", "fixed-clock"));
	TRY(fdt_property_u32(fdt, "#clock-cells", 0));
	TRY(fdt_property_u32(fdt, "clock-frequency", 24000000));
	TRY(fdt_property_string(fdt, "clock-output-names", "clk24mhz"));
	TRY(fdt_property_u32(fdt, "phandle", PHANDLE_CLK));
	TRY(fdt_end_node(fdt));

	snprintf(name, sizeof(name), "pl011@%llx", LAYOUT_UART_BASE);
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property(fdt, "compatible", compat, sizeof(compat)));
	TRY(prop_u64_pair(fdt, "reg", LAYOUT_UART_BASE, LAYOUT_UART_SIZE));
	TRY(irq_prop(fdt, "interrupts", irq, 1));
	TRY(fdt_property(fdt, "clocks", clocks, sizeof(clocks)));
	TRY(fdt_property(fdt, "clock-names", clk_names, sizeof(clk_names)));
	return fdt_end_node(fdt);
}

/* virtio-mmio slots: edge-triggered SPIs (the devices signal through irqfds). */
static int build_virtio_mmio(void *fdt, const struct fdt_machine *m)
{
	char name[40];

	for (unsigned i = 0; i < m->nr_virtio_mmio; i++) {
		uint64_t base = LAYOUT_VIRTIO_MMIO_BASE + (uint64_t)i * LAYOUT_VIRTIO_MMIO_STRIDE;
		const uint32_t irq[1][3] = { { GIC_FDT_SPI, LAYOUT_VIRTIO_INTID_BASE - LAYOUT_SPI_BASE + i,
					       IRQ_TYPE_EDGE_RISING } };

		snprintf(name, sizeof(name), "virtio_mmio@%llx", (unsigned long long)base);
		TRY(fdt_begin_node(fdt, name));
		TRY(fdt_property_string(fdt, "compatible", "virtio,mmio"));
		TRY(prop_u64_pair(fdt, "reg", base, LAYOUT_VIRTIO_MMIO_STRIDE));
		TRY(irq_prop(fdt, "interrupts", irq, 1));
		TRY(fdt_property(fdt, "dma-coherent", NULL, 0));
		TRY(fdt_end_node(fdt));
	}
	return 0;
}

static int build(void *fdt, size_t size, const struct fdt_machine *m)
{
	char name[32];

	TRY(fdt_create(fdt, (int)size));
	TRY(fdt_finish_reservemap(fdt));
	TRY(fdt_begin_node(fdt, ""));
	TRY(fdt_property_u32(fdt, "#address-cells", 2));
	TRY(fdt_property_u32(fdt, "#size-cells", 2));
	if (!m->efi) {
		TRY(fdt_property_string(fdt, "compatible", "linux,dummy-virt"));
		TRY(fdt_property_string(fdt, "model", "vmm arm64 virtual machine"));
		TRY(fdt_property_u32(fdt, "interrupt-parent", PHANDLE_GIC));
	}
	TRY(build_chosen(fdt, m));
	if (!m->efi) {
		snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)m->ram_base);
		TRY(fdt_begin_node(fdt, name));
		TRY(fdt_property_string(fdt, "device_type", "memory"));
		TRY(prop_u64_pair(fdt, "reg", m->ram_base, m->ram_size));
		TRY(fdt_end_node(fdt));
		TRY(build_cpus(fdt, m));
		TRY(build_gic(fdt, m));
		TRY(build_timer_psci_pmu(fdt, m));
		TRY(build_uart(fdt));
		TRY(build_virtio_mmio(fdt, m));
	}
	TRY(fdt_end_node(fdt));
	TRY(fdt_finish(fdt));
	return 0;
}

int fdt_build(const struct fdt_machine *m, void *buf, size_t bufsize)
{
	int ret;

	if (bufsize > INT32_MAX || (!m->efi && (m->nr_cpus == 0 || !m->mpidrs || m->nr_redist == 0 ||
						  m->nr_redist > GIC_MAX_REDIST_REGIONS)))
		return -EINVAL;
	ret = build(buf, bufsize, m);
	if (ret == -FDT_ERR_NOSPACE)
		return -ENOSPC;
	return ret < 0 ? -EINVAL : 0;
}
