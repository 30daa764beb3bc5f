/* SPDX-License-Identifier: MIT */
/* The product version, printed by `vmm version` and carried in host descriptions. */
#ifndef VMM_VERSION_H
#define VMM_VERSION_H

#define VMM_VERSION "0.2.0"

#endif
