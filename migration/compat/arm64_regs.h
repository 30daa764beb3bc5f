/* SPDX-License-Identifier: MIT */
/*
 * arm64 KVM register ids as the compatibility checker needs them (portable: no
 * KVM headers): names for messages, which ids are feature ID registers, and the
 * 4-bit fields of an ID register. Encoding (Documentation/virt/kvm/api.rst):
 * bits 63..56 arch (0x60), 55..52 size, 31..16 coprocessor group; a system
 * register has op0/op1/CRn/CRm/op2 in bits 15..0.
 */
#ifndef MIGRATION_COMPAT_ARM64_REGS_H
#define MIGRATION_COMPAT_ARM64_REGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define A64_REG_ARCH 0x6000000000000000ULL
#define A64_REG_U64 0x0030000000000000ULL
#define A64_REG_GROUP(id) (((id) >> 16) & 0xffff)
#define A64_GROUP_CORE 0x0010
#define A64_GROUP_SYSREG 0x0013
#define A64_GROUP_FW 0x0014
#define A64_GROUP_SVE 0x0015
#define A64_GROUP_FW_FEAT 0x0016
#define A64_SYSREG(op0, op1, crn, crm, op2) \
	(A64_REG_ARCH | A64_REG_U64 | ((uint64_t)A64_GROUP_SYSREG << 16) | ((uint64_t)(op0) << 14) | \
	 ((uint64_t)(op1) << 11) | ((uint64_t)(crn) << 7) | ((uint64_t)(crm) << 3) | (uint64_t)(op2))

#define A64_ID_AA64PFR0_EL1 A64_SYSREG(3, 0, 0, 4, 0)
#define A64_ID_AA64DFR0_EL1 A64_SYSREG(3, 0, 0, 5, 0)
#define A64_ID_AA64ISAR1_EL1 A64_SYSREG(3, 0, 0, 6, 1)
#define A64_ID_AA64ISAR2_EL1 A64_SYSREG(3, 0, 0, 6, 2)
#define A64_PMCR_EL0 A64_SYSREG(3, 3, 9, 12, 0)

/* The feature ID register space KVM_ARM_GET_REG_WRITABLE_MASKS covers:
 * op0 3, op1 0..7, CRn 0, CRm 0..7, op2 0..7 (index (op1 << 6) | (CRm << 3) | op2). */
bool a64_is_id_reg(uint64_t id);
#define A64_ID_SPACE_SIZE 512
unsigned a64_id_reg_index(uint64_t id);
uint64_t a64_id_reg_from_index(unsigned idx);

/* "TCR2_EL1", "S3_0_C2_C0_3", "core:0x40", "fw:0x3", ... into buf. */
const char *a64_reg_name(uint64_t id, char *buf, size_t len);
/* "ID_AA64PFR0_EL1.SVE", or "ID_AA64ISAR1_EL1[7:4]" for an unnamed field. */
const char *a64_id_field_name(uint64_t id, unsigned shift, char *buf, size_t len);
/* The value of the 4-bit field at shift. */
static inline unsigned a64_field(uint64_t v, unsigned shift)
{
	return (unsigned)((v >> shift) & 0xf);
}

#endif
