// SPDX-License-Identifier: MIT
/* The machine configuration against what this host can give it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "vmm/arm64/memory_map.h"
#include "vmm/arm64/vm_config.h"

int vm_config_check_host(const struct vm_config *cfg, uint64_t host_mem_bytes, unsigned kvm_max_vcpus,
		   char *errbuf, size_t errlen)
{
	if (host_mem_bytes && cfg->mem_size > host_mem_bytes) {
		snprintf(errbuf, errlen, "--memory: %" PRIu64 " MiB is more than this host has (%" PRIu64 " MiB)",
			 cfg->mem_size >> 20, host_mem_bytes >> 20);
		return -E2BIG;
	}
	if (cfg->mem_size > LAYOUT_RAM_MAX) {
		snprintf(errbuf, errlen, "--memory: %" PRIu64 " MiB is above the machine limit of %llu MiB",
			 cfg->mem_size >> 20, LAYOUT_RAM_MAX >> 20);
		return -E2BIG;
	}
	if (kvm_max_vcpus && cfg->max_vcpus > kvm_max_vcpus) {
		snprintf(errbuf, errlen, "--cpus: max=%u is more than KVM allows on this host (%u)",
			 cfg->max_vcpus, kvm_max_vcpus);
		return -E2BIG;
	}
	return 0;
}

uint64_t host_mem_bytes(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	uint64_t kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %" SCNu64 " kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb * 1024;
}
