// SPDX-License-Identifier: MIT
/*
 * The compatibility rules (check.h). Each rule mirrors what a restore or an
 * incoming migration does on the destination, so a "compatible" verdict means the
 * load will not be refused for that reason, and every refusal has a rule here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "migration/compat/arm64_regs.h"
#include "migration/compat/check.h"
#include "migration/format/stream.h"
#include "vmm/arm64/memory_map.h"

#define INC COMPAT_INCOMPATIBLE
#define CHG COMPAT_NEEDS_CHANGE
#define ADD compat_report_add

static const struct compat_section *find_section(const struct host_desc *h, const char *name)
{
	uint32_t i;

	for (i = 0; i < h->nr_sections; i++)
		if (!strcmp(h->sections[i].name, name))
			return &h->sections[i];
	return NULL;
}

static void check_format(const struct vm_desc *s, const struct host_desc *d, struct compat_report *r)
{
	if (s->arch != d->arch)
		ADD(r, "arch", INC, "arch", "restore it on a host of the same architecture",
		    "the state is for %s, the destination runs %s guests", mig_arch_name(s->arch), mig_arch_name(d->arch));
	if (s->format_major != d->format_major)
		ADD(r, "format-major", INC, "format", "use a vmm release with the same major state format",
		    "state format major %u, the destination loads major %u", s->format_major, d->format_major);
	else if (s->format_minor > d->format_minor)
		ADD(r, "format-minor", INC, "format", "upgrade vmm on the destination",
		    "state format %u.%u is newer than the destination's %u.%u", s->format_major, s->format_minor,
		    d->format_major, d->format_minor);
}

static void check_sections(const struct vm_desc *s, const struct host_desc *d, struct compat_report *r)
{
	uint32_t i;

	for (i = 0; i < s->nr_sections; i++) {
		const struct compat_section *x = &s->sections[i];
		const struct compat_section *w = find_section(d, x->name);

		if (!w) {
			if (!x->optional)
				ADD(r, "section-unknown", INC, x->name, "upgrade vmm on the destination",
				    "section '%s' is unknown to the destination's vmm %s", x->name, d->vmm_version);
			continue;
		}
		if (x->min_version < w->min_version || x->version > w->version)
			ADD(r, "section-version", INC, x->name,
			    x->version > w->version ? "upgrade vmm on the destination"
						    : "restore it with an older vmm that still loads this version",
			    "section '%s' version %u outside the destination's window [%u, %u]", x->name,
			    x->version > w->version ? x->version : x->min_version, w->min_version, w->version);
	}
	for (i = 0; i < d->nr_sections; i++) {
		const struct compat_section *w = &d->sections[i];
		uint32_t j;

		for (j = 0; j < s->nr_sections && strcmp(s->sections[j].name, w->name); j++)
			;
		if (j == s->nr_sections && !w->optional)
			ADD(r, "section-missing", INC, w->name, "the source must come from a vmm that writes it",
			    "the destination requires section '%s', the source has none", w->name);
	}
}

static void check_limits(const struct vm_desc *s, const struct host_desc *d, struct compat_report *r)
{
	unsigned need;

	if (s->max_vcpus > d->max_vcpus)
		ADD(r, "vcpu-limit", INC, "max_vcpus", "upgrade vmm on the destination",
		    "max vCPUs %u > the destination machine's limit %u", s->max_vcpus, d->max_vcpus);
	if (d->has_kvm && d->kvm.max_vcpus && s->max_vcpus > d->kvm.max_vcpus)
		ADD(r, "vcpu-limit", INC, "max_vcpus", "choose a destination whose KVM allows more vCPUs",
		    "max vCPUs %u > destination KVM limit %u", s->max_vcpus, d->kvm.max_vcpus);
	if (s->memory > d->max_memory)
		ADD(r, "memory", INC, "memory", "upgrade vmm on the destination",
		    "guest RAM %" PRIu64 " MiB is above the destination machine's limit of %" PRIu64 " MiB",
		    s->memory >> 20, d->max_memory >> 20);
	if (d->has_kvm && d->kvm.memory && s->memory > d->kvm.memory)
		ADD(r, "memory", INC, "memory", "choose a destination with more memory",
		    "guest RAM %" PRIu64 " MiB is more than the destination has (%" PRIu64 " MiB)", s->memory >> 20,
		    d->kvm.memory >> 20);
	need = layout_ipa_bits(layout_guest_top(s->memory, s->max_vcpus));
	if (d->has_kvm && d->kvm.ipa_bits && need > d->kvm.ipa_bits)
		ADD(r, "ipa-size", INC, "ipa_bits", "choose a destination with a larger IPA space",
		    "the guest address space needs %u bits, the destination's KVM supports %u", need, d->kvm.ipa_bits);
}

/* A host builds nr_irqs_min..nr_irqs in steps of 32 (one that does not say: nr_irqs only). */
static bool gic_irqs_buildable(uint32_t n, const struct compat_gic *host)
{
	uint32_t lo = host->nr_irqs_min ? host->nr_irqs_min : host->nr_irqs;

	return n >= lo && n <= host->nr_irqs && n % 32 == 0;
}

static void check_machine(const struct vm_desc *s, const struct host_desc *d, struct compat_report *r)
{
	const struct compat_gic *a = &s->gic, *b = &d->gic;
	uint32_t i;

	if (s->hotplug_abi && s->hotplug_abi != d->hotplug_abi)
		ADD(r, "hotplug-abi", INC, "cpu-hotplug",
		    "use a destination vmm with the same hot-plug ABI (the guest keeps the AML it booted with)",
		    "the guest's CPU hot-plug register/AML ABI is version %u, the destination's %u", s->hotplug_abi,
		    d->hotplug_abi);
	if (a->version && a->version != b->version)
		ADD(r, "gic-version", INC, "gic", "choose a destination with the same GIC version",
		    "GICv%u state, the destination builds a GICv%u", a->version, b->version);
	if (a->redist_base != b->redist_base || a->redist_stride != b->redist_stride ||
	    a->redist_low_limit != b->redist_low_limit ||
	    (s->max_vcpus > (a->redist_low_limit - a->redist_base) / (a->redist_stride ? a->redist_stride : 1) &&
	     a->redist_high_base != b->redist_high_base))
		ADD(r, "gic-layout", INC, "gic", "use a destination vmm with the same machine layout",
		    "GIC redistributor layout differs: base 0x%" PRIx64 "/0x%" PRIx64 ", stride 0x%" PRIx64 "/0x%" PRIx64
		    " (source/destination)", a->redist_base, b->redist_base, a->redist_stride, b->redist_stride);
	if (a->nr_irqs && !gic_irqs_buildable(a->nr_irqs, b))
		ADD(r, "gic-irqs", INC, "gic", "use a destination vmm that builds a GIC of this size",
		    "the guest's GIC has %u interrupts, the destination builds %u to %u in steps of 32", a->nr_irqs,
		    b->nr_irqs_min ? b->nr_irqs_min : b->nr_irqs, b->nr_irqs);
	for (i = 0; i < s->max_vcpus && i < LAYOUT_MAX_VCPUS; i++) {
		/* KVM's reset value of MPIDR_EL1 for vCPU id i (affinity only). */
		uint64_t kvm = (i & 0xf) | (((uint64_t)(i >> 4) & 0xff) << 8) | (((uint64_t)(i >> 12) & 0xff) << 16);

		if ((s->mpidrs[i] & 0xff00ffffffULL) != kvm) {
			char subj[32];

			snprintf(subj, sizeof(subj), "vcpu %u", i);
			ADD(r, "topology", INC, subj, "the source's topology cannot be rebuilt by this KVM",
			    "vCPU %u has MPIDR 0x%" PRIx64 ", KVM gives it 0x%" PRIx64, i, s->mpidrs[i], kvm);
			break;
		}
	}
}

static bool has_reg(const uint64_t *regs, uint32_t n, uint64_t id)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (regs[mid] == id)
			return true;
		if (regs[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static const struct compat_id_reg *find_id(const struct compat_id_reg *r, uint32_t n, uint64_t id)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (r[i].id == id)
			return &r[i];
	return NULL;
}

static void check_regs(const struct vm_desc *s, const struct host_kvm *k, struct compat_report *r)
{
	char name[48];
	uint32_t i;

	if (!k->nr_regs)
		return;
	for (i = 0; i < s->nr_regs; i++) {
		if (has_reg(k->regs, k->nr_regs, s->regs[i]))
			continue;
		a64_reg_name(s->regs[i], name, sizeof(name));
		ADD(r, "register-unknown", INC, name,
		    "choose a destination whose kernel exposes it (host kernels 6.13 and 6.16 changed the list)",
		    "register %s (0x%" PRIx64 ") saved by the source but unknown to the destination's KVM", name,
		    s->regs[i]);
	}
	for (i = 0; s->nr_regs && i < k->nr_regs; i++) {
		if (A64_REG_GROUP(k->regs[i]) != A64_GROUP_FW_FEAT || has_reg(s->regs, s->nr_regs, k->regs[i]))
			continue;
		a64_reg_name(k->regs[i], name, sizeof(name));
		ADD(r, "register-extra", CHG, name,
		    "accept that the guest may see more hypervisor services, or pin the register to 0 before restore",
		    "firmware register %s exists on the destination only: it keeps KVM's default", name);
	}
}

static void check_id_regs(const struct vm_desc *s, const struct host_kvm *k, struct compat_report *r)
{
	char field[64];
	uint32_t i;
	unsigned shift;

	for (i = 0; i < s->nr_id_regs; i++) {
		const struct compat_id_reg *a = &s->id_regs[i], *b = find_id(k->id_regs, k->nr_id_regs, a->id);

		if (!b || a->id == A64_SYSREG(3, 0, 0, 0, 5)) /* MPIDR: per vCPU, see topology */
			continue;
		for (shift = 0; shift < 64; shift += 4) {
			unsigned fa = a64_field(a->value, shift), fb = a64_field(b->value, shift);
			bool writable = ((b->writable >> shift) & 0xf) == 0xf;

			if (fa == fb)
				continue;
			a64_id_field_name(a->id, shift, field, sizeof(field));
			if (writable && fa < fb)
				ADD(r, "id-reg-writable", CHG, field, "the restore sets it before the first KVM_RUN",
				    "%s is %u on the source, %u on the destination; writable: set to %u", field, fa, fb, fa);
			else
				ADD(r, "id-reg-differs", INC, field,
				    writable ? "choose a destination that offers the feature"
					     : "choose a destination with the same CPU feature (or a kernel where it is writable)",
				    "%s differs (source %u, destination %u) and %s", field, fa, fb,
				    writable ? "the destination cannot offer the higher value" : "is not writable");
		}
	}
}

static uint64_t id_value(const struct vm_desc *s, uint64_t id)
{
	const struct compat_id_reg *x = find_id(s->id_regs, s->nr_id_regs, id);

	return x ? x->value : 0;
}

static void check_features(const struct vm_desc *s, const struct host_desc *d, struct compat_report *r)
{
	const struct host_kvm *k = &d->kvm;
	unsigned pmuver = a64_field(id_value(s, A64_ID_AA64DFR0_EL1), 8);
	uint64_t isar1 = id_value(s, A64_ID_AA64ISAR1_EL1), isar2 = id_value(s, A64_ID_AA64ISAR2_EL1);
	bool sve = a64_field(id_value(s, A64_ID_AA64PFR0_EL1), 32) != 0, pmu, ptrauth;
	uint32_t i;

	pmu = (pmuver && pmuver != 0xf) || has_reg(s->regs, s->nr_regs, A64_PMCR_EL0);
	ptrauth = (isar1 & 0xff000ff0ULL) || (isar2 & 0xff00ULL);
	for (i = 0; i < s->nr_regs && !sve; i++)
		sve = A64_REG_GROUP(s->regs[i]) == A64_GROUP_SVE;
	if (s->hotplugged_vcpus && !k->smccc_filter)
		ADD(r, "smccc-filter", INC, "smccc_filter", "choose a destination with Linux >= 6.4 (KVM SMCCC filter)",
		    "%u vCPUs are hot-plugged but the destination lacks the SMCCC filter (the hot-plug PSCI policy is "
		    "impossible there)", s->hotplugged_vcpus);
	else if (s->acpi && s->max_vcpus > s->boot_vcpus && !k->smccc_filter)
		ADD(r, "smccc-filter", CHG, "smccc_filter", "accept that vCPU hot-plug is disabled after the move",
		    "the destination lacks the SMCCC filter: the %u hot-pluggable vCPUs cannot be plugged there",
		    s->max_vcpus - s->boot_vcpus);
	if (pmu && !k->pmu)
		ADD(r, "pmu", INC, "pmu", "choose a destination with a KVM PMU", "the guest has a PMUv3, the destination's KVM has none");
	if (sve && !k->sve)
		ADD(r, "sve", INC, "sve", "choose a destination with SVE", "the guest uses SVE, the destination's KVM offers none");
	if (ptrauth && !k->ptrauth)
		ADD(r, "ptrauth", INC, "ptrauth", "choose a destination with pointer authentication",
		    "the guest uses pointer authentication, the destination's KVM does not offer it");
	if (s->needs_nisv && !k->nisv)
		ADD(r, "nisv", INC, "nisv", "choose a destination with KVM_CAP_ARM_NISV_TO_USER",
		    "the VM needs MMIO without valid syndrome forwarded to userspace (NISV), the destination lacks it");
	if (s->needs_dirty_log && !k->dirty_log_ring && !k->manual_dirty_log)
		ADD(r, "dirty-log", INC, "dirty_log", "choose a destination with KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 or a dirty ring",
		    "the VM must stay live-migratable, the destination's KVM has no usable dirty logging");
}

void compat_check(const struct vm_desc *src, const struct host_desc *dst, struct compat_report *out)
{
	out->nr = 0;
	out->truncated = 0;
	check_format(src, dst, out);
	check_sections(src, dst, out);
	check_limits(src, dst, out);
	check_machine(src, dst, out);
	if (!dst->has_kvm)
		return;
	check_features(src, dst, out);
	check_regs(src, &dst->kvm, out);
	check_id_regs(src, &dst->kvm, out);
}
