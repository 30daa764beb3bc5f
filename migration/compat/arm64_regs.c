// SPDX-License-Identifier: MIT
/* arm64 register names and ID-register fields for compatibility messages. */
#include <stdio.h>
#include <string.h>

#include "migration/compat/arm64_regs.h"
#include "vmm/core/compiler.h"

struct named_reg {
	uint64_t id;
	const char *name;
	const char *fields[16]; /* by field index (shift / 4); NULL: unnamed */
};

/* The registers that host kernels add or drop (MIGRATION-ANCHORS §1.11) and the ID
 * registers a guest sees features through. */
static const struct named_reg regs[] = {
	{ A64_SYSREG(3, 0, 0, 0, 0), "MIDR_EL1", { NULL } },
	{ A64_SYSREG(3, 0, 0, 0, 5), "MPIDR_EL1", { NULL } },
	{ A64_SYSREG(3, 0, 0, 0, 6), "REVIDR_EL1", { NULL } },
	{ A64_SYSREG(3, 1, 0, 0, 7), "AIDR_EL1", { NULL } },
	{ A64_SYSREG(3, 0, 0, 4, 0), "ID_AA64PFR0_EL1",
	  { "EL0", "EL1", "EL2", "EL3", "FP", "AdvSIMD", "GIC", "RAS", "SVE", "SEL2", "MPAM", "AMU", "DIT",
	    "RME", "CSV2", "CSV3" } },
	{ A64_SYSREG(3, 0, 0, 4, 1), "ID_AA64PFR1_EL1",
	  { "BT", "SSBS", "MTE", "RAS_frac", "MPAM_frac", NULL, "SME", "RNDR_trap", "CSV2_frac", "NMI", NULL,
	    NULL, NULL, NULL, NULL, NULL } },
	{ A64_SYSREG(3, 0, 0, 4, 4), "ID_AA64ZFR0_EL1", { NULL } },
	{ A64_SYSREG(3, 0, 0, 5, 0), "ID_AA64DFR0_EL1",
	  { "DebugVer", "TraceVer", "PMUVer", "BRPs", NULL, "WRPs", NULL, "CTX_CMPs", "PMSVer", "DoubleLock",
	    "TraceFilt", "TraceBuffer", "MTPMU", "BRBE", NULL, "HPMN0" } },
	{ A64_SYSREG(3, 0, 0, 6, 0), "ID_AA64ISAR0_EL1",
	  { NULL, "AES", "SHA1", "SHA2", "CRC32", "Atomic", "TME", "RDM", "SHA3", "SM3", "SM4", "DP", "FHM", "TS",
	    "TLB", "RNDR" } },
	{ A64_SYSREG(3, 0, 0, 6, 1), "ID_AA64ISAR1_EL1",
	  { "DPB", "APA", "API", "JSCVT", "FCMA", "LRCPC", "GPA", "GPI", "FRINTTS", "SB", "SPECRES", "BF16",
	    "DGH", "I8MM", "XS", "LS64" } },
	{ A64_SYSREG(3, 0, 0, 6, 2), "ID_AA64ISAR2_EL1",
	  { "WFxT", "RPRES", "GPA3", "APA3", "MOPS", "BC", "PAC_frac", "CLRBHB", NULL, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL } },
	{ A64_SYSREG(3, 0, 0, 7, 0), "ID_AA64MMFR0_EL1",
	  { "PARange", "ASIDBits", "BigEnd", "SNSMem", "BigEndEL0", "TGran16", "TGran64", "TGran4",
	    "TGran16_2", "TGran64_2", "TGran4_2", "ExS", NULL, NULL, "FGT", "ECV" } },
	{ A64_SYSREG(3, 0, 0, 7, 1), "ID_AA64MMFR1_EL1", { NULL } },
	{ A64_SYSREG(3, 0, 0, 7, 2), "ID_AA64MMFR2_EL1", { NULL } },
	{ A64_SYSREG(3, 0, 0, 7, 3), "ID_AA64MMFR3_EL1", { NULL } },
	{ A64_SYSREG(3, 0, 2, 0, 3), "TCR2_EL1", { NULL } },
	{ A64_SYSREG(3, 0, 10, 2, 2), "PIRE0_EL1", { NULL } },
	{ A64_SYSREG(3, 0, 10, 2, 3), "PIR_EL1", { NULL } },
	{ A64_SYSREG(3, 3, 9, 12, 0), "PMCR_EL0", { NULL } },
	{ A64_SYSREG(3, 3, 14, 0, 2), "CNTVCT_EL0", { NULL } },
	{ A64_REG_ARCH | A64_REG_U64 | ((uint64_t)A64_GROUP_FW_FEAT << 16) | 0, "KVM_REG_ARM_STD_BMAP", { NULL } },
	{ A64_REG_ARCH | A64_REG_U64 | ((uint64_t)A64_GROUP_FW_FEAT << 16) | 1, "KVM_REG_ARM_STD_HYP_BMAP", { NULL } },
	{ A64_REG_ARCH | A64_REG_U64 | ((uint64_t)A64_GROUP_FW_FEAT << 16) | 2, "KVM_REG_ARM_VENDOR_HYP_BMAP",
	  { NULL } },
	{ A64_REG_ARCH | A64_REG_U64 | ((uint64_t)A64_GROUP_FW_FEAT << 16) | 3, "KVM_REG_ARM_VENDOR_HYP_BMAP_2",
	  { NULL } },
};

static const struct named_reg *lookup(uint64_t id)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(regs); i++)
		if (regs[i].id == id)
			return &regs[i];
	return NULL;
}

bool a64_is_id_reg(uint64_t id)
{
	unsigned enc = (unsigned)(id & 0xffff);

	return (id & 0xffffffffffff0000ULL) == (A64_REG_ARCH | A64_REG_U64 | ((uint64_t)A64_GROUP_SYSREG << 16)) &&
	       (enc >> 14) == 3 && ((enc >> 7) & 0xf) == 0 && !(((enc >> 3) & 0xf) & 8);
}

unsigned a64_id_reg_index(uint64_t id)
{
	unsigned enc = (unsigned)(id & 0xffff);

	return (((enc >> 11) & 7) << 6) | (((enc >> 3) & 7) << 3) | (enc & 7);
}

uint64_t a64_id_reg_from_index(unsigned idx)
{
	return A64_SYSREG(3, (idx >> 6) & 7, 0, (idx >> 3) & 7, idx & 7);
}

const char *a64_reg_name(uint64_t id, char *buf, size_t len)
{
	const struct named_reg *r = lookup(id);
	unsigned enc = (unsigned)(id & 0xffff);

	if (r)
		snprintf(buf, len, "%s", r->name);
	else if (A64_REG_GROUP(id) == A64_GROUP_SYSREG)
		snprintf(buf, len, "S%u_%u_C%u_C%u_%u", enc >> 14, (enc >> 11) & 7, (enc >> 7) & 0xf, (enc >> 3) & 0xf,
			 enc & 7);
	else if (A64_REG_GROUP(id) == A64_GROUP_CORE)
		snprintf(buf, len, "core:0x%x", enc);
	else if (A64_REG_GROUP(id) == A64_GROUP_FW || A64_REG_GROUP(id) == A64_GROUP_FW_FEAT)
		snprintf(buf, len, "fw:0x%llx", (unsigned long long)(id & 0xffffffffULL));
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)id);
	return buf;
}

const char *a64_id_field_name(uint64_t id, unsigned shift, char *buf, size_t len)
{
	const struct named_reg *r = lookup(id);
	char reg[40];

	a64_reg_name(id, reg, sizeof(reg));
	if (r && shift < 64 && r->fields[shift / 4])
		snprintf(buf, len, "%s.%s", reg, r->fields[shift / 4]);
	else
		snprintf(buf, len, "%s[%u:%u]", reg, shift + 3, shift);
	return buf;
}
