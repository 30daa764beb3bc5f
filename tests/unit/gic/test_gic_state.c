// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <string.h>

#include "gic/gic_state.h"

Test(gic_state, reset_clears_what_the_guest_wrote_and_keeps_the_fixed_parts)
{
	struct gic_cpu_state c;
	unsigned i;

	memset(&c, 0x5a, sizeof(c));
	c.mpidr = 0x104;
	c.accessible = false;
	c.icc_sre = 0x7;
	/* PRIbits 4 (0b100 << 8), IDbits 0, A3V (bit 15), plus CBPR|EOImode|PMHE set by the guest. */
	c.icc_ctlr = (4ULL << 8) | (1ULL << 15) | 0x43;
	gic_cpu_reset_state(&c);
	cr_assert_eq(c.mpidr, 0x104);
	cr_assert_not(c.accessible);
	cr_assert_eq(c.icc_sre, 0x7, "ICC_SRE_EL1 is fixed by KVM");
	cr_assert_eq(c.icc_ctlr, (4ULL << 8) | (1ULL << 15), "only the writable ICC_CTLR_EL1 bits are reset");
	cr_assert_eq(c.group0, 0xffffffffu);
	cr_assert_eq(c.grpmod0, 0);
	cr_assert_eq(c.enable0, 0xffffu, "SGIs enabled, PPIs disabled");
	cr_assert_eq(c.pending0, 0);
	cr_assert_eq(c.active0, 0);
	cr_assert_eq(c.config0, 0xaaaaaaaau);
	cr_assert_eq(c.config1, 0);
	for (i = 0; i < 8; i++)
		cr_assert_eq(c.priority0[i], 0);
	cr_assert_eq(c.icc_pmr, 0);
	cr_assert_eq(c.icc_bpr0, 0);
	cr_assert_eq(c.icc_bpr1, 0);
	cr_assert_eq(c.icc_igrpen0, 0);
	cr_assert_eq(c.icc_igrpen1, 0);
	for (i = 0; i < GIC_ICC_AP_REGS; i++) {
		cr_assert_eq(c.icc_ap0r[i], 0);
		cr_assert_eq(c.icc_ap1r[i], 0);
	}
}
