// SPDX-License-Identifier: MIT
/* Descriptions: JSON round trips, hostile input refused with a clear message;
 * descriptor diff: each rule fires, an additive change does not. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "migration/compat/descriptors.h"

TestSuite(compat_json, .timeout = 30);

Test(compat_json, host_round_trip)
{
	struct host_desc *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct mig_err err = { "" };
	struct json_object *o;
	const char *text;

	cr_assert_eq(host_desc_init_build(a, &err), 0, "%s", err.msg);
	a->has_kvm = true;
	a->kvm = (struct host_kvm){ .max_vcpus = 32, .ipa_bits = 44, .smccc_filter = true, .memory = 1ULL << 33,
				    .nr_regs = 2, .regs = { 0x6030000000100000ULL, 0x603000000013c020ULL },
				    .nr_id_regs = 1, .id_regs = { { 0x603000000013c020ULL, 0x1101ULL, 0xf0ULL } } };
	cr_assert_eq(host_desc_to_json(a, &o), 0);
	text = json_object_to_json_string(o);
	cr_assert_eq(host_desc_parse(text, strlen(text), b, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(a, b, sizeof(*a)), 0, "round trip differs");
	json_object_put(o);
	free(a);
	free(b);
}

static void refused(const char *text, const char *msg_part)
{
	struct host_desc *h = calloc(1, sizeof(*h));
	struct mig_err err = { "" };

	cr_assert_lt(host_desc_parse(text, strlen(text), h, &err), 0, "accepted: %s", text);
	cr_assert(strstr(err.msg, msg_part), "message '%s' lacks '%s'", err.msg, msg_part);
	free(h);
}

#define HOST_HEAD "{\"schema\":\"vmm-host/1\",\"vmm_version\":\"0.2.0\",\"format\":{\"major\":1,\"minor\":0}," \
		  "\"arch\":\"aarch64\",\"hotplug_abi\":1,\"max_vcpus\":512,\"max_memory\":1024," \
		  "\"gic\":{\"version\":3,\"nr_irqs\":256,\"redist_base\":\"0x80a0000\",\"redist_stride\":\"0x20000\"," \
		  "\"redist_low_limit\":\"0x9000000\",\"redist_high_base\":\"0x4000000000\"},"

Test(compat_json, hostile_input_refused)
{
	refused("", "not valid JSON");
	refused("[1]", "must be a JSON object");
	refused("{\"schema\":\"vmm-host/1\"} x", "trailing data");
	refused("{\"schema\":\"vmm-host/9\"}", "expected 'vmm-host/1'");
	refused("{\"schema\":\"vmm-host/1\"}", "'vmm_version' is missing");
	refused(HOST_HEAD "\"sections\":{}}", "'sections': not an array");
	refused(HOST_HEAD "\"sections\":[{\"name\":\"a\",\"version\":1},{\"name\":\"a\",\"version\":1}]}", "listed twice");
	refused(HOST_HEAD "\"sections\":[{\"name\":\"a\",\"version\":-1}]}", "negative");
	refused(HOST_HEAD "\"sections\":[{\"name\":\"a\\u0001\",\"version\":1}]}", "printable");
	refused(HOST_HEAD "\"sections\":[],\"kvm\":{\"max_vcpus\":1,\"ipa_bits\":40,\"smccc_filter\":1}}",
		"'smccc_filter': not a boolean");
	refused(HOST_HEAD "\"sections\":[],\"kvm\":{\"max_vcpus\":1,\"ipa_bits\":40,\"smccc_filter\":true,"
			  "\"memory\":1,\"reg_list\":[\"0xzz\"]}}", "reg_list[0]");
	refused(HOST_HEAD "\"sections\":[],\"kvm\":{\"max_vcpus\":1,\"ipa_bits\":99}}", "above the limit");
	{
		char *deep = malloc(200);

		memset(deep, '[', 100);
		strcpy(deep + 100, "]");
		refused(deep, "not valid JSON");
		free(deep);
	}
}

Test(compat_json, source_round_trip_from_snapshot)
{
	struct vm_desc *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct mig_err err = { "" };
	struct json_object *o;
	const char *text;
	FILE *f = fopen("tests/data/snapshot-vm-state-v1.bin", "rb");
	uint8_t *buf = malloc(1 << 20);
	size_t len;

	cr_assert_not_null(f);
	len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	cr_assert_eq(vm_desc_from_stream(buf, len, a, &err), 0, "%s", err.msg);
	cr_assert_eq(vm_desc_to_json(a, &o), 0);
	text = json_object_to_json_string(o);
	cr_assert_eq(vm_desc_parse(text, strlen(text), b, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(a, b, sizeof(*a)), 0, "round trip differs");
	buf[len / 2] ^= 1;
	cr_assert_lt(vm_desc_from_stream(buf, len, a, &err), 0, "a damaged stream is refused");
	json_object_put(o);
	free(buf);
	free(a);
	free(b);
}

/* --- diff-descriptors -------------------------------------------------------- */

static struct json_object *base, *mod;
static struct compat_report rep;

static void dumps(void)
{
	struct mig_err err = { "" };

	cr_assert_eq(compat_descriptors_dump(&base, &err), 0, "%s", err.msg);
	cr_assert_eq(compat_descriptors_dump(&mod, &err), 0, "%s", err.msg);
}

static void undump(void)
{
	json_object_put(base);
	json_object_put(mod);
}

TestSuite(compat_diff, .init = dumps, .fini = undump, .timeout = 30);

static struct json_object *section(struct json_object *d, const char *name)
{
	struct json_object *a = json_object_object_get(d, "sections");

	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *s = json_object_array_get_idx(a, i);

		if (!strcmp(json_object_get_string(json_object_object_get(s, "name")), name))
			return s;
	}
	cr_assert_fail("no section %s", name);
	return NULL;
}

static struct json_object *field(struct json_object *sec, size_t i)
{
	return json_object_array_get_idx(json_object_object_get(sec, "fields"), i);
}

static void set_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void diff_expect(const char *code)
{
	struct mig_err err = { "" };
	uint32_t i;

	cr_assert_eq(compat_descriptors_diff(base, mod, &rep, &err), 0, "%s", err.msg);
	for (i = 0; i < rep.nr && strcmp(rep.findings[i].code, code); i++)
		;
	cr_assert_lt(i, rep.nr, "expected '%s' (%u findings, first %s)", code, rep.nr,
		     rep.nr ? rep.findings[0].code : "-");
}

Test(compat_diff, identical_dumps_have_no_break)
{
	struct mig_err err = { "" };

	cr_assert_eq(compat_descriptors_diff(base, mod, &rep, &err), 0, "%s", err.msg);
	cr_assert_eq(rep.nr, 0);
}

Test(compat_diff, field_removed_without_bump)
{
	json_object_array_del_idx(json_object_object_get(section(mod, "pl011"), "fields"), 0, 1);
	diff_expect("field-removed");
}

Test(compat_diff, field_retyped) { json_object_object_add(field(section(mod, "machine"), 0), "type", json_object_new_string("u32")); diff_expect("field-retyped"); }
Test(compat_diff, array_resized) { set_int(field(section(mod, "gicv3-dist"), 2), "count", 3); diff_expect("field-retyped"); }

static void add_field(struct json_object *sec, const char *name, int since)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "name", json_object_new_string(name));
	json_object_object_add(f, "type", json_object_new_string("u32"));
	set_int(f, "count", 1);
	set_int(f, "since_version", since);
	json_object_array_add(json_object_object_get(sec, "fields"), f);
}

Test(compat_diff, field_added_without_since) { add_field(section(mod, "pl011"), "fifo_depth", 0); diff_expect("field-added"); }

Test(compat_diff, additive_field_with_since_is_no_field_break)
{
	struct json_object *s = section(mod, "pl011");
	struct mig_err err = { "" };

	set_int(s, "version", 2);
	add_field(s, "fifo_depth", 2);
	cr_assert_eq(compat_descriptors_diff(base, mod, &rep, &err), 0, "%s", err.msg);
	cr_assert_eq(rep.nr, 1, "only the version bump (backward) is reported");
	cr_assert_str_eq(rep.findings[0].code, "version-bump");
}

Test(compat_diff, windows_no_longer_overlap)
{
	struct json_object *s = section(mod, "vcpu");

	set_int(s, "version", 3);
	set_int(s, "min_version", 2);
	diff_expect("window");
}

Test(compat_diff, section_made_mandatory)
{
	json_object_object_add(section(base, "acpi-ged"), "optional", json_object_new_boolean(1));
	diff_expect("section-made-mandatory");
}

Test(compat_diff, section_removed) { json_object_array_del_idx(json_object_object_get(mod, "sections"), 7, 1); diff_expect("section-removed"); }
Test(compat_diff, section_added) { json_object_array_del_idx(json_object_object_get(base, "sections"), 7, 1); diff_expect("section-added"); }

Test(compat_diff, hotplug_abi_changed_without_version)
{
	json_object_object_add(json_object_object_get(mod, "hotplug_abi"), "aml", json_object_new_string("0x1"));
	diff_expect("hotplug-abi-unversioned");
}

Test(compat_diff, hotplug_abi_version) { set_int(json_object_object_get(mod, "hotplug_abi"), "version", 2); diff_expect("hotplug-abi"); }

Test(compat_diff, baseline_matches_this_build)
{
	struct mig_err err = { "" };
	char *text, *allow;
	size_t len;
	uint32_t i;
	struct json_object *file;

	cr_assert_eq(dj_read_file("tests/data/descriptors-v1.json", &text, &len, &err), 0, "%s", err.msg);
	cr_assert_eq(dj_parse(text, len, &file, &err), 0, "%s", err.msg);
	cr_assert_eq(dj_read_file("tests/data/descriptors-allow.txt", &allow, &len, &err), 0, "%s", err.msg);
	cr_assert_eq(compat_descriptors_diff(file, base, &rep, &err), 0, "%s", err.msg);
	for (i = 0; i < rep.nr; i++)
		cr_assert(compat_finding_allowed(allow, &rep.findings[i]), "break against the baseline, not allowed: %s %s: %s",
			  rep.findings[i].code, rep.findings[i].subject, rep.findings[i].reason);
	json_object_put(file);
	free(allow);
	free(text);
}
