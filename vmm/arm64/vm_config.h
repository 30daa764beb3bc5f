/* SPDX-License-Identifier: MIT */
/* What the user asked for: the machine `vmm run` builds. Plain data, no resources. */
#ifndef VMM_CONFIG_H
#define VMM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/core/compiler.h"

/* One `--disk path=FILE[,readonly=on][,serial=S][,cache=writeback|none][,num_queues=N]`. */
#define VM_MAX_DISKS 8
#define VM_DISK_SERIAL_MAX 20
#define VM_DISK_PATH_MAX 512
struct vm_disk_cfg {
	char path[VM_DISK_PATH_MAX];
	bool readonly;
	bool cache_none;        /* O_DIRECT: no host page cache */
	unsigned num_queues;    /* 1..8 */
	char serial[VM_DISK_SERIAL_MAX + 1];
};

/* The guest's PMUv3: AUTO follows what KVM offers (a snapshot from before the choice
 * was recorded), ON requires it, OFF hides it. A saved VM records ON or OFF. */
enum vm_pmu { VM_PMU_AUTO = 0, VM_PMU_ON = 1, VM_PMU_OFF = 2 };

struct vm_config {
	const char *kernel;
	const char *initrd;     /* NULL: none */
	const char *cmdline;    /* never NULL */
	unsigned boot_vcpus;    /* cold-booted, enabled at boot */
	unsigned max_vcpus;     /* possible vCPUs */
	uint64_t mem_size;      /* bytes */
	bool acpi;              /* ACPI boot (default) or device tree */
	enum vm_pmu pmu;        /* --pmu on|off */
	unsigned gic_irqs;      /* the GIC's interrupts; 0: LAYOUT_NR_IRQS (a restore: what was saved) */
	const char *api_socket; /* QMP socket path, NULL: none */
	unsigned nr_disks;      /* virtio-blk disks, in virtio-mmio slot order */
	bool disks_defer_open;  /* live-migration destination: open the images at switch-over */
	struct vm_disk_cfg disks[VM_MAX_DISKS];
};

/*
 * Checks the config against host limits: host_mem_bytes (0: unknown) and the
 * most vCPUs KVM allows (0: unknown).
 */
int vm_config_check_host(const struct vm_config *cfg, uint64_t host_mem_bytes, unsigned kvm_max_vcpus,
			 char *errbuf, size_t errlen) __must_check;
/* MemTotal from /proc/meminfo in bytes, or 0. */
uint64_t host_mem_bytes(void);

#endif
