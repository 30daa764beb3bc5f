// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "gic/gic_state.h"
#include "migration/format/vmstate.h"
#include "migration/vm/machine_state.h"
#include "vmm/arm64/memory_map.h"

static int put(uint8_t *dst, size_t cap, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= cap)
		return -ENAMETOOLONG;
	memset(dst, 0, cap);
	if (n)
		memcpy(dst, s, n);
	return 0;
}

int config_state_from(const struct vm_config *cfg, struct vm_config_state *st)
{
	memset(st, 0, sizeof(*st));
	st->mem_size = cfg->mem_size;
	st->boot_vcpus = cfg->boot_vcpus;
	st->max_vcpus = cfg->max_vcpus;
	st->acpi = cfg->acpi;
	st->pmu = (uint8_t)cfg->pmu;
	st->gic_irqs = cfg->gic_irqs ? cfg->gic_irqs : LAYOUT_NR_IRQS;
	if (put(st->kernel, sizeof(st->kernel), cfg->kernel) || put(st->initrd, sizeof(st->initrd), cfg->initrd) ||
	    put(st->cmdline, sizeof(st->cmdline), cfg->cmdline))
		return -ENAMETOOLONG;
	return 0;
}

void config_state_to(const struct vm_config_state *st, struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = st->mem_size;
	cfg->boot_vcpus = st->boot_vcpus;
	cfg->max_vcpus = st->max_vcpus;
	cfg->acpi = st->acpi;
	cfg->pmu = (enum vm_pmu)st->pmu;
	cfg->gic_irqs = st->gic_irqs;
	cfg->kernel = (const char *)st->kernel;
	cfg->initrd = st->initrd[0] ? (const char *)st->initrd : NULL;
	cfg->cmdline = (const char *)st->cmdline;
}

static const struct vmstate_field config_fields[] = {
	VMS_U64(struct vm_config_state, mem_size),
	VMS_U32(struct vm_config_state, boot_vcpus),
	VMS_U32(struct vm_config_state, max_vcpus),
	VMS_BOOL(struct vm_config_state, acpi),
	VMS_BUFFER(struct vm_config_state, kernel),
	VMS_BUFFER(struct vm_config_state, initrd),
	VMS_BUFFER(struct vm_config_state, cmdline),
	VMS_END,
};

/*
 * The PMU choice is the presence of one of two subsections, so that a build that
 * predates it still loads a VM with a PMU (what it always built where KVM offers
 * one) and refuses one without (it would add a PMU the guest never had).
 */
static void config_pmu_pre_load(void *opaque)
{
	((struct vm_config_state *)opaque)->pmu = VM_PMU_AUTO;
}

static bool config_pmu_on_needed(const void *opaque)
{
	return ((const struct vm_config_state *)opaque)->pmu == VM_PMU_ON;
}

static bool config_pmu_off_needed(const void *opaque)
{
	return ((const struct vm_config_state *)opaque)->pmu == VM_PMU_OFF;
}

static int config_pmu_set(struct vm_config_state *st, enum vm_pmu pmu, struct mig_err *err)
{
	if (st->pmu != VM_PMU_AUTO) {
		mig_err_set(err, "machine: both the 'pmu' and the 'pmu-off' subsections");
		return -EINVAL;
	}
	st->pmu = (uint8_t)pmu;
	return 0;
}

static int config_pmu_on_post_load(void *opaque, uint32_t version, struct mig_err *err)
{
	(void)version;
	return config_pmu_set(opaque, VM_PMU_ON, err);
}

static int config_pmu_off_post_load(void *opaque, uint32_t version, struct mig_err *err)
{
	(void)version;
	return config_pmu_set(opaque, VM_PMU_OFF, err);
}

static const struct vmstate_desc config_pmu_on_vmstate = {
	.name = "pmu", .version = 1, .min_version = 1, .size = sizeof(struct vm_config_state),
	.needed = config_pmu_on_needed, .pre_load = config_pmu_pre_load, .post_load = config_pmu_on_post_load,
};

static const struct vmstate_desc config_pmu_off_vmstate = {
	.name = "pmu-off", .version = 1, .min_version = 1, .size = sizeof(struct vm_config_state),
	.needed = config_pmu_off_needed, .post_load = config_pmu_off_post_load,
};

/*
 * The GIC's interrupt count, when it is not the 256 every build before this
 * subsection made: a build that predates it must refuse the machine (it builds
 * 256 only), and a restore or destination must size the vGIC before the
 * distributor's state arrives.
 */
#define CONFIG_LEGACY_GIC_IRQS 256u

static void config_gic_irqs_pre_load(void *opaque)
{
	((struct vm_config_state *)opaque)->gic_irqs = CONFIG_LEGACY_GIC_IRQS;
}

static bool config_gic_irqs_needed(const void *opaque)
{
	return ((const struct vm_config_state *)opaque)->gic_irqs != CONFIG_LEGACY_GIC_IRQS;
}

static int config_gic_irqs_post_load(void *opaque, uint32_t version, struct mig_err *err)
{
	const struct vm_config_state *st = opaque;

	(void)version;
	if (!GIC_STATE_IRQS_VALID(st->gic_irqs)) {
		mig_err_set(err, "machine: a GIC with %u interrupts (this vmm builds %u to %u in steps of 32)",
			    st->gic_irqs, GIC_STATE_MIN_IRQS, GIC_STATE_MAX_IRQS);
		return -EINVAL;
	}
	return 0;
}

static const struct vmstate_field config_gic_irqs_fields[] = {
	VMS_U32(struct vm_config_state, gic_irqs),
	VMS_END,
};

static const struct vmstate_desc config_gic_irqs_vmstate = {
	.name = "gic-irqs", .version = 1, .min_version = 1, .size = sizeof(struct vm_config_state),
	.fields = config_gic_irqs_fields, .needed = config_gic_irqs_needed,
	.pre_load = config_gic_irqs_pre_load, .post_load = config_gic_irqs_post_load,
};

static const struct vmstate_subsection config_subsections[] = {
	{ .desc = &config_pmu_on_vmstate },
	{ .desc = &config_pmu_off_vmstate, .flags = VMS_SUB_MANDATORY },
	{ .desc = &config_gic_irqs_vmstate, .flags = VMS_SUB_MANDATORY },
	VMS_SUB_END,
};

static int config_post_load(void *opaque, uint32_t version, struct mig_err *err)
{
	struct vm_config_state *st = opaque;

	(void)version;
	/* Strings must be terminated inside their buffers. */
	if (!memchr(st->kernel, 0, sizeof(st->kernel)) || !memchr(st->initrd, 0, sizeof(st->initrd)) ||
	    !memchr(st->cmdline, 0, sizeof(st->cmdline))) {
		mig_err_set(err, "machine: unterminated kernel, initrd or command line");
		return -EINVAL;
	}
	if (st->max_vcpus == 0 || st->max_vcpus > LAYOUT_MAX_VCPUS || st->boot_vcpus == 0 ||
	    st->boot_vcpus > st->max_vcpus) {
		mig_err_set(err, "machine: invalid vCPU counts boot=%u max=%u", st->boot_vcpus, st->max_vcpus);
		return -EINVAL;
	}
	if (st->mem_size < (64ULL << 20) || st->mem_size > LAYOUT_RAM_MAX || st->mem_size % SZ_2M) {
		mig_err_set(err, "machine: invalid memory size %llu", (unsigned long long)st->mem_size);
		return -EINVAL;
	}
	return 0;
}

const struct vmstate_desc config_vmstate = {
	.name = "machine", .version = 1, .min_version = 1,
	.size = sizeof(struct vm_config_state), .fields = config_fields, .post_load = config_post_load,
	.subsections = config_subsections,
};
