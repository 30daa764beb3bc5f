/* SPDX-License-Identifier: MIT */
/*
 * The VM configuration as saved in a snapshot ("machine" section): what a restore
 * needs to rebuild the same machine, and to boot it again after a guest reset.
 */
#ifndef VMM_CONFIG_STATE_H
#define VMM_CONFIG_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/arm64/vm_config.h"
#include "vmm/core/compiler.h"

#define CONFIG_STATE_PATH_MAX 512
#define CONFIG_STATE_CMDLINE_MAX 2048

struct vm_config_state {
	uint64_t mem_size;
	uint32_t boot_vcpus;
	uint32_t max_vcpus;
	bool acpi;
	uint8_t pmu;                              /* enum vm_pmu: the 'pmu' / 'pmu-off' subsection */
	uint32_t gic_irqs;                        /* the 'gic-irqs' subsection; absent: 256 */
	uint8_t kernel[CONFIG_STATE_PATH_MAX];   /* NUL-terminated */
	uint8_t initrd[CONFIG_STATE_PATH_MAX];   /* empty: none */
	uint8_t cmdline[CONFIG_STATE_CMDLINE_MAX];
};

int config_state_from(const struct vm_config *cfg, struct vm_config_state *st) __must_check;
/* cfg's strings point into st. */
void config_state_to(const struct vm_config_state *st, struct vm_config *cfg);

struct vmstate_desc;
extern const struct vmstate_desc config_vmstate;

#endif
