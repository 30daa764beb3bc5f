// SPDX-License-Identifier: MIT
/* Validation of the machine description the table builders take. */
#define LOG_PREFIX "acpi"
#include <errno.h>

#include "acpi/acpi.h"
#include "vmm/arm64/memory_map.h"
#include "vmm/core/log.h"

static int check_cpus(const struct acpi_machine *m)
{
	if (m->nr_cpus == 0 || m->nr_cpus > LAYOUT_MAX_VCPUS) {
		log_err("ACPI: %u possible vCPUs, expected 1..%u", m->nr_cpus, LAYOUT_MAX_VCPUS);
		return -EINVAL;
	}
	if (!m->cpus) {
		log_err("ACPI: no vCPU list");
		return -EINVAL;
	}
	if (!m->cpus[0].cold_booted) {
		log_err("ACPI: the boot vCPU 0 must be cold-booted");
		return -EINVAL;
	}
	for (uint32_t i = 0; i < m->nr_cpus; i++) {
		if (m->cpus[i].mpidr & ~MPIDR_AFFINITY_MASK) {
			log_err("ACPI: vCPU %u MPIDR 0x%llx has non-affinity bits", i,
				(unsigned long long)m->cpus[i].mpidr);
			return -EINVAL;
		}
		/* Quadratic, but at most 512 entries, once per build. */
		for (uint32_t j = 0; j < i; j++) {
			if (m->cpus[j].mpidr == m->cpus[i].mpidr) {
				log_err("ACPI: vCPUs %u and %u share MPIDR 0x%llx", j, i,
					(unsigned long long)m->cpus[i].mpidr);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int check_ram(const struct acpi_machine *m)
{
	uint64_t limit = LAYOUT_RAM_BASE + LAYOUT_RAM_MAX;

	if (m->ram_size == 0 || !IS_ALIGNED(m->ram_base, SZ_4K) || !IS_ALIGNED(m->ram_size, SZ_4K) ||
	    m->ram_base < LAYOUT_RAM_BASE || m->ram_base >= limit ||
	    m->ram_size > limit - m->ram_base) {
		log_err("ACPI: RAM [0x%llx, +0x%llx) is not a 4 KiB-aligned range of the RAM window",
			(unsigned long long)m->ram_base, (unsigned long long)m->ram_size);
		return -EINVAL;
	}
	return 0;
}

int acpi_machine_check(const struct acpi_machine *m)
{
	int ret;

	if (!m)
		return -EINVAL;
	ret = check_cpus(m);
	if (ret)
		return ret;
	ret = check_ram(m);
	if (ret)
		return ret;
	if (m->nr_virtio_mmio > ACPI_MAX_VIRTIO_MMIO) {
		log_err("ACPI: %u virtio-mmio slots, at most %u", m->nr_virtio_mmio,
			ACPI_MAX_VIRTIO_MMIO);
		return -EINVAL;
	}
	return 0;
}
