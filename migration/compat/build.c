// SPDX-License-Identifier: MIT
/* This build's sections, GIC layout and hot-plug ABI fingerprint (build.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/aml/buf.h"
#include "acpi/cpuhp_aml.h"
#include "gic/gic_state.h"
#include "hotplug/cpuhp.h"
#include "migration/compat/build.h"
#include "migration/format/crc32c.h"
#include "migration/vm/sections.h"

int compat_build_registry(int (*fn)(const struct mig_registry *reg, void *ctx), void *ctx, struct mig_err *err)
{
	struct vm_saved *s = calloc(1, sizeof(*s));
	struct mig_registry reg;
	int ret;

	if (!s)
		return -ENOMEM;
	mig_registry_init(&reg);
	s->vcpus[0] = calloc(1, sizeof(*s->vcpus[0]));
	ret = s->vcpus[0] ? vm_sections_register(&reg, s, 1, err) : -ENOMEM;
	if (!ret)
		ret = fn(&reg, ctx);
	mig_registry_fini(&reg);
	vm_saved_free(s);
	return ret;
}

struct sections_ctx {
	struct compat_section *s;
	uint32_t cap, n;
};

static int collect_sections(const struct mig_registry *reg, void *opaque)
{
	struct sections_ctx *c = opaque;
	size_t i;
	uint32_t j;

	for (i = 0; i < reg->nr; i++) {
		const struct mig_entry *e = &reg->entries[i];

		for (j = 0; j < c->n && strcmp(c->s[j].name, e->desc->name); j++)
			;
		if (j < c->n)
			continue;
		if (c->n == c->cap)
			return -E2BIG;
		c->s[c->n] = (struct compat_section){
			.min_version = e->desc->min_version, .version = e->desc->version,
			.optional = e->flags & MIG_ENTRY_OPTIONAL,
		};
		snprintf(c->s[c->n].name, sizeof(c->s[c->n].name), "%s", e->desc->name);
		c->n++;
	}
	return 0;
}

int compat_build_sections(struct compat_section *s, uint32_t cap, uint32_t *n, struct mig_err *err)
{
	struct sections_ctx c = { .s = s, .cap = cap };
	int ret = compat_build_registry(collect_sections, &c, err);

	*n = c.n;
	return ret;
}

void compat_build_gic(struct compat_gic *g)
{
	*g = (struct compat_gic){
		.version = 3, .nr_irqs = GIC_STATE_MAX_IRQS, .nr_irqs_min = GIC_STATE_MIN_IRQS,
		.redist_base = LAYOUT_GICR_BASE, .redist_stride = LAYOUT_GICR_STRIDE,
		.redist_low_limit = LAYOUT_GICR_LOW_LIMIT, .redist_high_base = LAYOUT_GICR_HIGH_BASE,
	};
}

int compat_hotplug_fingerprint(uint32_t *regs, uint32_t *aml)
{
	static const struct acpi_cpu cpus[2] = { { .mpidr = 0, .cold_booted = true }, { .mpidr = 1 } };
	const struct acpi_machine m = {
		.nr_cpus = 2, .cpus = cpus, .ram_base = LAYOUT_RAM_BASE, .ram_size = SZ_1G,
	};
	struct acpi_buf out;
	struct aml *sb;
	char layout[512];
	int ret, n;

	n = snprintf(layout, sizeof(layout),
		     "base=%llx len=%u/%llu sel=%x flags=%x cmd=%x data=%x en=%x ins=%x rm=%x ej=%x fwej=%x "
		     "cmds=%u,%u,%u,%u sta=%x,%x scan=%s",
		     LAYOUT_CPUHP_BASE, CPUHP_REG_LEN, LAYOUT_CPUHP_SIZE, CPUHP_REG_SELECTOR,
		     CPUHP_REG_FLAGS, CPUHP_REG_CMD, CPUHP_REG_DATA, CPUHP_FLAG_ENABLED,
		     CPUHP_FLAG_INSERT, CPUHP_FLAG_REMOVE, CPUHP_FLAG_EJECT, CPUHP_FLAG_FW_EJECT,
		     CPUHP_CMD_GET_NEXT_EVENT, CPUHP_CMD_OST_EVENT, CPUHP_CMD_OST_STATUS,
		     CPUHP_CMD_GET_ARCH_ID, CPUHP_STA_ENABLED, CPUHP_STA_DISABLED, ACPI_CPUHP_SCAN_METHOD);
	*regs = mig_crc32c(0, layout, (size_t)n);
	sb = aml_scope("\\_SB");
	acpi_cpuhp_aml(sb, &m);
	acpi_buf_init(&out);
	ret = aml_error(sb);
	if (!ret)
		ret = aml_emit(sb, &out);
	if (!ret)
		ret = acpi_buf_error(&out);
	if (!ret)
		*aml = mig_crc32c(0, out.data, out.len);
	acpi_buf_fini(&out);
	aml_free(sb);
	return ret;
}
