/* SPDX-License-Identifier: MIT */
/* MPIDR_EL1: the affinity fields that name a CPU, written once. */
#ifndef VMM_ARM64_MPIDR_H
#define VMM_ARM64_MPIDR_H

/* MPIDR_EL1 bits that identify a CPU: Aff3 [39:32], Aff2 [23:16], Aff1 [15:8], Aff0 [7:0]. */
#define MPIDR_AFFINITY_MASK 0xFF00FFFFFFULL

#endif
