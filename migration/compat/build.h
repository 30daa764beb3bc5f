/* SPDX-License-Identifier: MIT */
/*
 * What this build of vmm writes and loads, read from the code itself: the VM's
 * section registry (migration/vm_sections.c), the GIC layout (vmm/layout.h) and
 * the CPU hot-plug ABI (hotplug/cpuhp_regs.h). Host descriptions and the descriptor
 * dump both come from here, so they cannot disagree.
 */
#ifndef MIGRATION_COMPAT_BUILD_H
#define MIGRATION_COMPAT_BUILD_H

#include "migration/compat/desc_json.h"
#include "migration/format/registry.h"

/* Calls fn with a registry holding every section kind a VM can have (one vCPU). */
int compat_build_registry(int (*fn)(const struct mig_registry *reg, void *ctx), void *ctx,
			  struct mig_err *err) __must_check;
/* One entry per section name: the window this build loads. */
int compat_build_sections(struct compat_section *s, uint32_t cap, uint32_t *n, struct mig_err *err) __must_check;
/* The vGIC this build creates. */
void compat_build_gic(struct compat_gic *g);
/* CRC-32C fingerprints of the hot-plug register block's layout and of the AML
 * that drives it (for a fixed 2-vCPU machine). */
int compat_hotplug_fingerprint(uint32_t *regs, uint32_t *aml) __must_check;

#endif
