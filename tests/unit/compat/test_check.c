// SPDX-License-Identifier: MIT
/*
 * The compatibility checker: a table of source/destination pairs, each made
 * incompatible (or compatible only with a change) in one way, and the finding code
 * it must produce; every code appears at least once. The base pair is the golden
 * snapshot (tests/data/snapshot-vm-state-v1.bin) against this build with a KVM
 * part that has every register and capability the snapshot needs.
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "migration/compat/arm64_regs.h"
#include "migration/compat/check.h"

#define GOLDEN "tests/data/snapshot-vm-state-v1.bin"

static struct vm_desc *src;
static struct host_desc *dst;
static struct compat_report *rep;

static void golden_pair(void)
{
	struct mig_err err = { "" };
	FILE *f = fopen(GOLDEN, "rb");
	uint8_t *buf = malloc(1 << 20);
	size_t len;
	uint32_t i;

	cr_assert_not_null(f, "cannot open %s (run from the repository root)", GOLDEN);
	len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	src = calloc(1, sizeof(*src));
	dst = calloc(1, sizeof(*dst));
	rep = calloc(1, sizeof(*rep));
	cr_assert_eq(vm_desc_from_stream(buf, len, src, &err), 0, "%s", err.msg);
	free(buf);
	cr_assert_eq(host_desc_init_build(dst, &err), 0, "%s", err.msg);
	dst->has_kvm = true;
	dst->kvm = (struct host_kvm){ .max_vcpus = 512, .ipa_bits = 48, .smccc_filter = true, .pmu = true,
				      .ptrauth = true, .sve = true, .memory = 8ULL << 30 };
	memcpy(dst->kvm.regs, src->regs, src->nr_regs * sizeof(src->regs[0]));
	dst->kvm.nr_regs = src->nr_regs;
	memcpy(dst->kvm.id_regs, src->id_regs, src->nr_id_regs * sizeof(src->id_regs[0]));
	dst->kvm.nr_id_regs = src->nr_id_regs;
	for (i = 0; i < dst->kvm.nr_id_regs; i++)
		dst->kvm.id_regs[i].writable = 0;
}

static void teardown(void)
{
	free(src);
	free(dst);
	free(rep);
}

TestSuite(compat_check, .init = golden_pair, .fini = teardown, .timeout = 30);

static const struct compat_finding *find(const char *code)
{
	for (uint32_t i = 0; i < rep->nr; i++)
		if (!strcmp(rep->findings[i].code, code))
			return &rep->findings[i];
	return NULL;
}

static void expect(const char *code, enum compat_severity sev)
{
	const struct compat_finding *f;
	char all[2048] = "";

	compat_check(src, dst, rep);
	f = find(code);
	for (uint32_t i = 0; i < rep->nr; i++)
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "[%s] ", rep->findings[i].code);
	cr_assert_not_null(f, "expected finding '%s', got: %s", code, all);
	cr_assert_eq(f->severity, sev, "'%s': severity %s", code, compat_severity_name(f->severity));
	cr_assert(f->reason[0] && f->fix[0] && f->subject[0], "'%s' has a reason, a fix and a subject", code);
	cr_assert_eq(compat_report_ok(rep), sev != COMPAT_INCOMPATIBLE);
}

static struct compat_section *dst_section(const char *name)
{
	for (uint32_t i = 0; i < dst->nr_sections; i++)
		if (!strcmp(dst->sections[i].name, name))
			return &dst->sections[i];
	cr_assert_fail("no section %s", name);
	return NULL;
}

static struct compat_id_reg *dst_id(uint64_t id)
{
	for (uint32_t i = 0; i < dst->kvm.nr_id_regs; i++)
		if (dst->kvm.id_regs[i].id == id)
			return &dst->kvm.id_regs[i];
	cr_assert_fail("no ID register 0x%llx", (unsigned long long)id);
	return NULL;
}

Test(compat_check, golden_snapshot_fits_this_build)
{
	compat_check(src, dst, rep);
	cr_assert_eq(rep->nr, 0, "first finding: %s %s", rep->nr ? rep->findings[0].code : "",
		     rep->nr ? rep->findings[0].reason : "");
	cr_assert(compat_report_ok(rep));
	cr_assert_eq(src->hotplugged_vcpus, 1);
	cr_assert_eq(src->max_vcpus, 4);
	cr_assert_gt(src->nr_regs, 100);
	cr_assert_gt(src->nr_id_regs, 10);
}

Test(compat_check, arch) { dst->arch = 62; expect("arch", COMPAT_INCOMPATIBLE); }
Test(compat_check, format_major) { dst->format_major = 2; expect("format-major", COMPAT_INCOMPATIBLE); }
Test(compat_check, format_minor) { src->format_minor = 3; expect("format-minor", COMPAT_INCOMPATIBLE); }

Test(compat_check, section_version_newer_than_window)
{
	struct compat_section *s = dst_section("gicv3-cpu");

	src->sections[6].version = 3; /* gicv3-cpu */
	cr_assert_str_eq(src->sections[6].name, "gicv3-cpu");
	s->min_version = 1;
	s->version = 2;
	expect("section-version", COMPAT_INCOMPATIBLE);
	cr_assert(strstr(find("section-version")->reason, "version 3 outside the destination's window [1, 2]"),
		  "%s", find("section-version")->reason);
}

Test(compat_check, section_unknown) { strcpy(src->sections[7].name, "virtio-gpu"); expect("section-unknown", COMPAT_INCOMPATIBLE); }
Test(compat_check, section_missing) { strcpy(dst->sections[dst->nr_sections++].name, "rtc"); dst->sections[dst->nr_sections - 1].version = 1; expect("section-missing", COMPAT_INCOMPATIBLE); }

Test(compat_check, optional_unknown_section_is_fine)
{
	strcpy(src->sections[src->nr_sections].name, "new-optional");
	src->sections[src->nr_sections].version = 1;
	src->sections[src->nr_sections++].optional = true;
	compat_check(src, dst, rep);
	cr_assert_eq(rep->nr, 0);
}

Test(compat_check, vcpu_limit_kvm)
{
	dst->kvm.max_vcpus = 2;
	expect("vcpu-limit", COMPAT_INCOMPATIBLE);
	cr_assert(strstr(find("vcpu-limit")->reason, "max vCPUs 4 > destination KVM limit 2"));
}

Test(compat_check, vcpu_limit_machine) { dst->max_vcpus = 3; expect("vcpu-limit", COMPAT_INCOMPATIBLE); }
Test(compat_check, memory_host) { dst->kvm.memory = 64ULL << 20; expect("memory", COMPAT_INCOMPATIBLE); }
Test(compat_check, memory_machine) { dst->max_memory = 64ULL << 20; expect("memory", COMPAT_INCOMPATIBLE); }
Test(compat_check, ipa_size) { dst->kvm.ipa_bits = 30; expect("ipa-size", COMPAT_INCOMPATIBLE); }

Test(compat_check, smccc_filter_with_plugged_vcpus) { dst->kvm.smccc_filter = false; expect("smccc-filter", COMPAT_INCOMPATIBLE); }

Test(compat_check, smccc_filter_without_plugged_vcpus_needs_change)
{
	dst->kvm.smccc_filter = false;
	src->hotplugged_vcpus = 0;
	expect("smccc-filter", COMPAT_NEEDS_CHANGE);
}

Test(compat_check, hotplug_abi) { dst->hotplug_abi = 2; expect("hotplug-abi", COMPAT_INCOMPATIBLE); }
Test(compat_check, gic_version) { dst->gic.version = 4; expect("gic-version", COMPAT_INCOMPATIBLE); }
Test(compat_check, gic_layout) { dst->gic.redist_stride = 0x40000; expect("gic-layout", COMPAT_INCOMPATIBLE); }
Test(compat_check, gic_irqs_more_than_built) { dst->gic.nr_irqs = 128; expect("gic-irqs", COMPAT_INCOMPATIBLE); }

Test(compat_check, gic_irqs_range)
{
	static const struct { uint32_t src, min, max; bool ok; } cases[] = {
		{ 256, 64, 256, true },  /* an older build's guest on this build */
		{ 64, 64, 256, true },   /* this build's guest */
		{ 96, 64, 256, true },
		{ 72, 64, 256, false },  /* not a multiple of 32 */
		{ 32, 64, 256, false },
		{ 64, 0, 256, false },   /* an older build: 256 only */
		{ 256, 0, 256, true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		src->gic.nr_irqs = cases[i].src;
		dst->gic.nr_irqs_min = cases[i].min;
		dst->gic.nr_irqs = cases[i].max;
		if (cases[i].ok) {
			compat_check(src, dst, rep);
			cr_assert_null(find("gic-irqs"), "case %zu: %u in %u..%u", i, cases[i].src, cases[i].min,
				       cases[i].max);
			cr_assert(compat_report_ok(rep), "case %zu", i);
		} else {
			expect("gic-irqs", COMPAT_INCOMPATIBLE);
		}
	}
}
Test(compat_check, topology) { src->mpidrs[3] = 0x100; expect("topology", COMPAT_INCOMPATIBLE); }

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

Test(compat_check, register_unknown)
{
	uint64_t tcr2 = A64_SYSREG(3, 0, 2, 0, 3);
	uint32_t i, j;

	/* The source saved TCR2_EL1, the destination's kernel does not expose it (6.13). */
	for (i = j = 0; i < dst->kvm.nr_regs; i++)
		if (dst->kvm.regs[i] != tcr2)
			dst->kvm.regs[j++] = dst->kvm.regs[i];
	dst->kvm.nr_regs = j;
	for (i = 0; i < src->nr_regs && src->regs[i] != tcr2; i++)
		;
	if (i == src->nr_regs) {
		src->regs[src->nr_regs++] = tcr2;
		qsort(src->regs, src->nr_regs, sizeof(uint64_t), cmp_u64);
	}
	expect("register-unknown", COMPAT_INCOMPATIBLE);
	cr_assert(strstr(find("register-unknown")->reason, "TCR2_EL1"), "%s", find("register-unknown")->reason);
}

Test(compat_check, register_extra_firmware)
{
	dst->kvm.regs[dst->kvm.nr_regs++] = A64_REG_ARCH | A64_REG_U64 | ((uint64_t)A64_GROUP_FW_FEAT << 16) | 0xff;
	expect("register-extra", COMPAT_NEEDS_CHANGE);
}

Test(compat_check, id_reg_differs_not_writable)
{
	struct compat_id_reg *r = dst_id(A64_ID_AA64PFR0_EL1);

	r->value ^= 1ULL << 32; /* SVE field */
	expect("id-reg-differs", COMPAT_INCOMPATIBLE);
	cr_assert_str_eq(find("id-reg-differs")->subject, "ID_AA64PFR0_EL1.SVE");
}

/* The destination offers more (a higher field value) and the field is writable:
 * the restore can set it to the source's value. */
static struct compat_id_reg *raise_field(unsigned shift)
{
	struct compat_id_reg *r = dst_id(A64_ID_AA64ISAR1_EL1);
	unsigned v = a64_field(r->value, shift);

	cr_assert_lt(v, 15);
	r->value = (r->value & ~(0xfULL << shift)) | ((uint64_t)(v + 1) << shift);
	return r;
}

Test(compat_check, id_reg_writable_can_be_set)
{
	struct compat_id_reg *r = raise_field(36); /* SB */

	r->writable = 0xfULL << 36;
	expect("id-reg-writable", COMPAT_NEEDS_CHANGE);
	cr_assert_str_eq(find("id-reg-writable")->subject, "ID_AA64ISAR1_EL1.SB");
}

Test(compat_check, id_reg_writable_but_source_higher)
{
	struct compat_id_reg *r = dst_id(A64_ID_AA64ISAR1_EL1);
	/* The source has SB (set it if the golden host lacked it), the destination not. */
	for (uint32_t i = 0; i < src->nr_id_regs; i++)
		if (src->id_regs[i].id == A64_ID_AA64ISAR1_EL1)
			src->id_regs[i].value |= 1ULL << 36;
	r->value &= ~(0xfULL << 36);
	r->writable = 0xfULL << 36;
	expect("id-reg-differs", COMPAT_INCOMPATIBLE);
}

Test(compat_check, pmu)
{
	dst->kvm.pmu = false;
	src->regs[src->nr_regs++] = A64_PMCR_EL0;
	qsort(src->regs, src->nr_regs, sizeof(uint64_t), cmp_u64);
	expect("pmu", COMPAT_INCOMPATIBLE);
}

Test(compat_check, sve)
{
	dst->kvm.sve = false;
	src->regs[src->nr_regs++] = A64_REG_ARCH | ((uint64_t)A64_GROUP_SVE << 16) | 0x0050000000000000ULL;
	qsort(src->regs, src->nr_regs, sizeof(uint64_t), cmp_u64);
	dst->kvm.regs[dst->kvm.nr_regs++] = A64_REG_ARCH | ((uint64_t)A64_GROUP_SVE << 16) | 0x0050000000000000ULL;
	qsort(dst->kvm.regs, dst->kvm.nr_regs, sizeof(uint64_t), cmp_u64);
	expect("sve", COMPAT_INCOMPATIBLE);
}

Test(compat_check, ptrauth)
{
	for (uint32_t i = 0; i < src->nr_id_regs; i++)
		if (src->id_regs[i].id == A64_ID_AA64ISAR1_EL1)
			src->id_regs[i].value |= 1ULL << 4; /* APA */
	dst->kvm.ptrauth = false;
	compat_check(src, dst, rep);
	cr_assert_not_null(find("ptrauth"));
}

Test(compat_check, nisv) { src->needs_nisv = true; expect("nisv", COMPAT_INCOMPATIBLE); }
Test(compat_check, dirty_log) { src->needs_dirty_log = true; expect("dirty-log", COMPAT_INCOMPATIBLE); }

Test(compat_check, build_only_destination_skips_kvm_rules)
{
	dst->has_kvm = false;
	dst->kvm.smccc_filter = false;
	compat_check(src, dst, rep);
	cr_assert_eq(rep->nr, 0);
}

Test(compat_check, report_json_and_summary)
{
	struct json_object *o;
	char sum[512];

	dst->kvm.max_vcpus = 2;
	dst->hotplug_abi = 7;
	compat_check(src, dst, rep);
	cr_assert_eq(compat_report_to_json(rep, &o), 0);
	cr_assert(strstr(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "\"code\":\"vcpu-limit\""));
	cr_assert(strstr(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "\"compatible\":false"));
	json_object_put(o);
	compat_report_summary(rep, sum, sizeof(sum));
	cr_assert(strstr(sum, "hotplug-abi") && strstr(sum, "vcpu-limit"), "%s", sum);
}
