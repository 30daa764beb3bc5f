/* SPDX-License-Identifier: MIT */
/* What the user asked for: the machine `vmm run` builds. Plain data, no resources. */
#ifndef VMM_CONFIG_H
#define VMM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

struct vm_config {
	const char *kernel;
	const char *initrd;     /* NULL: none */
	const char *cmdline;    /* never NULL */
	unsigned boot_vcpus;    /* cold-booted, enabled at boot */
	unsigned max_vcpus;     /* possible vCPUs */
	uint64_t mem_size;      /* bytes */
	bool acpi;              /* ACPI boot (default) or device tree */
	const char *api_socket; /* QMP socket path, NULL: none */
};

#endif
