// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the state stream reader. Each input is parsed as a stream
 * twice: once as a snapshot load would (CRC checked, against a sample registry),
 * and once with the CRC ignored, so the fuzzer reaches the section decoders, where
 * every section is decoded against the sample descriptors whatever its name; and
 * once more as a bare section body. Then the input goes through the real VM
 * decoder restore uses (vm_saved_decode: the head, every VM section descriptor,
 * the registry and the cross-checks of migration/vm/sections.c), CRC ignored so
 * the mutations reach the cross-checks, and every section is also decoded with
 * every real VM descriptor. The seed corpus includes the golden VM state.
 *
 *   clang -fsanitize=fuzzer,address,undefined ... (see the Makefile's fuzz target)
 *   build/fuzz/fuzz_state -max_total_time=60 corpus/ tests/data/
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "migration/format/registry.h"
#include "migration/format/stream.h"
#include "migration/format/vmstate.h"
#include "migration/vm/sections.h"
#include "migration/vm/topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_item {
	uint32_t a;
	int64_t b;
	uint8_t tag[4];
};

struct fz_inner {
	uint16_t x;
	bool flags[3];
};

struct fz_state {
	bool b;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	int32_t i32;
	int64_t i64;
	bool ba[2];
	uint8_t u8a[3];
	uint16_t u16a[2];
	uint32_t u32a[2];
	uint64_t regs[32];
	int32_t i32a[2];
	int64_t i64a[2];
	uint8_t blob[16];
	struct fz_inner inner;
	struct fz_inner pair[2];
	uint32_t nr_items;
	struct fz_item items[8];
	uint32_t added_v2;
	uint64_t extra;
	bool strict;
};

static const struct vmstate_field fz_inner_fields[] = {
	VMS_U16(struct fz_inner, x),
	VMS_BOOL_ARRAY(struct fz_inner, flags),
	VMS_END,
};

static const struct vmstate_desc fz_inner_vmstate = {
	.name = "sample-inner", .version = 1, .min_version = 1,
	.size = sizeof(struct fz_inner), .fields = fz_inner_fields,
};

static const struct vmstate_field fz_item_fields[] = {
	VMS_U32(struct fz_item, a),
	VMS_I64(struct fz_item, b),
	VMS_BUFFER(struct fz_item, tag),
	VMS_END,
};

static const struct vmstate_desc fz_item_vmstate = {
	.name = "sample-item", .version = 1, .min_version = 1,
	.size = sizeof(struct fz_item), .fields = fz_item_fields,
};

static const struct vmstate_field fz_extra_fields[] = {
	VMS_U64(struct fz_state, extra),
	VMS_END,
};

static const struct vmstate_desc fz_extra_vmstate = {
	.name = "sample/extra", .version = 1, .min_version = 1,
	.size = sizeof(struct fz_state), .fields = fz_extra_fields,
};

static const struct vmstate_field fz_strict_fields[] = {
	VMS_BOOL(struct fz_state, strict),
	VMS_END,
};

static const struct vmstate_desc fz_strict_vmstate = {
	.name = "sample/strict", .version = 1, .min_version = 1,
	.size = sizeof(struct fz_state), .fields = fz_strict_fields,
};

static const struct vmstate_subsection fz_subsections[] = {
	{ .desc = &fz_extra_vmstate },
	{ .desc = &fz_strict_vmstate, .flags = VMS_SUB_MANDATORY },
	VMS_SUB_END,
};

static const struct vmstate_field fz_fields[] = {
	VMS_BOOL(struct fz_state, b),
	VMS_U8(struct fz_state, u8),
	VMS_U16(struct fz_state, u16),
	VMS_U32(struct fz_state, u32),
	VMS_U64(struct fz_state, u64),
	VMS_I32(struct fz_state, i32),
	VMS_I64(struct fz_state, i64),
	VMS_BOOL_ARRAY(struct fz_state, ba),
	VMS_U8_ARRAY(struct fz_state, u8a),
	VMS_U16_ARRAY(struct fz_state, u16a),
	VMS_U32_ARRAY(struct fz_state, u32a),
	VMS_U64_ARRAY(struct fz_state, regs),
	VMS_I32_ARRAY(struct fz_state, i32a),
	VMS_I64_ARRAY(struct fz_state, i64a),
	VMS_BUFFER(struct fz_state, blob),
	VMS_STRUCT(struct fz_state, inner, fz_inner_vmstate, struct fz_inner),
	VMS_STRUCT_ARRAY(struct fz_state, pair, fz_inner_vmstate, struct fz_inner),
	VMS_STRUCT_VARRAY(struct fz_state, items, nr_items, fz_item_vmstate, struct fz_item),
	VMS_U32_V(struct fz_state, added_v2, 2),
	VMS_END,
};

static const struct vmstate_desc fz_vmstate = {
	.name = "sample", .version = 2, .min_version = 1,
	.size = sizeof(struct fz_state), .fields = fz_fields, .subsections = fz_subsections,
};

/* The registry's targets: static, so no allocation per input beyond the reader's. */
static struct topology_state topo;
static struct fz_state samples[2];

static void registry_load(const uint8_t *data, size_t size)
{
	struct mig_registry reg;
	struct mig_err err;

	mig_registry_init(&reg);
	if (mig_registry_add(&reg, &topology_vmstate, 0, &topo, MIG_PRI_TOPOLOGY, 0, &err) ||
	    mig_registry_add(&reg, &fz_vmstate, 0, &samples[0], MIG_PRI_DEVICE, 0, &err) ||
	    mig_registry_add(&reg, &fz_vmstate, 1, &samples[1], MIG_PRI_DEVICE, MIG_ENTRY_OPTIONAL, &err))
		abort(); /* the descriptors are broken: a bug in this file */
	(void)mig_registry_load(&reg, data, size, MIG_ARCH_AARCH64, 0, &err);
	mig_registry_fini(&reg);
}

/* CRC ignored: decode every section with both descriptors. */
static void decode_all(const uint8_t *data, size_t size)
{
	static struct topology_state t;
	static struct fz_state s;
	struct mig_reader r;
	struct mig_section sec;
	struct mig_err err;

	if (mig_reader_open(&r, data, size, 0, MIG_READ_IGNORE_CRC | MIG_READ_ANY_ARCH, &err))
		return;
	while (mig_reader_next(&r, &sec, &err) > 0) {
		(void)vmstate_load(&fz_vmstate, &s, sec.version, sec.body, sec.body_len, sec.body_offset, &err);
		(void)vmstate_load(&topology_vmstate, &t, sec.version, sec.body, sec.body_len, sec.body_offset,
				   &err);
	}
}

/* The input as a bare body: reaches the decoders without the framing. */
static void decode_body(const uint8_t *data, size_t size)
{
	static struct topology_state t;
	static struct fz_state s;
	struct mig_err err;

	(void)vmstate_load(&fz_vmstate, &s, 2, data, size, 0, &err);
	(void)vmstate_load(&topology_vmstate, &t, 1, data, size, 0, &err);
}

/* The VM's own sections, as restore decodes them (with the cross-checks). */
static void vm_decode(const uint8_t *data, size_t size)
{
	static struct vm_saved *s;
	struct mig_err err;
	unsigned i;

	if (!s && !(s = calloc(1, sizeof(*s))))
		abort();
	for (i = 0; i < LAYOUT_MAX_VCPUS; i++)
		free(s->vcpus[i]);
	memset(s, 0, sizeof(*s));
	(void)vm_saved_decode(s, data, size, MIG_READ_IGNORE_CRC, &err);
}

/* Every section body with every real VM descriptor, whatever its name. */
static void vm_decode_all(const uint8_t *data, size_t size)
{
	static const struct vmstate_desc *const descs[] = {
		&config_vmstate, &topology_vmstate, &gic_dist_vmstate, &cpuhp_vmstate, &ged_vmstate,
		&vcpu_vmstate, &gic_cpu_vmstate, &pl011_vmstate,
	};
	static void *scratch;
	struct mig_reader r;
	struct mig_section sec;
	struct mig_err err;

	if (!scratch && !(scratch = calloc(1, sizeof(struct vm_saved) + sizeof(struct vcpu_state))))
		abort();
	if (mig_reader_open(&r, data, size, 0, MIG_READ_IGNORE_CRC | MIG_READ_ANY_ARCH, &err))
		return;
	while (mig_reader_next(&r, &sec, &err) > 0)
		for (size_t i = 0; i < sizeof(descs) / sizeof(descs[0]); i++)
			(void)vmstate_load(descs[i], scratch, sec.version, sec.body, sec.body_len, sec.body_offset,
					   &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	registry_load(data, size);
	decode_all(data, size);
	decode_body(data, size);
	vm_decode(data, size);
	vm_decode_all(data, size);
	return 0;
}
