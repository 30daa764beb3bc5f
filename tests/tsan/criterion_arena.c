// SPDX-License-Identifier: MIT
/*
 * Linked into the unit-test binary of a ThreadSanitizer build only (make SAN=tsan).
 *
 * Criterion's worker processes inherit an arena that BoxFort maps at a fixed,
 * random address: base = 0x200000000000 + (rand_r() & 0x3fffff) << 24, a range that
 * is nearly all TSan shadow and meta memory on x86-64, where TSan refuses a fixed
 * mapping ("Could not initialize inheritable arena"). This rand_r keeps the choice
 * inside the one application range TSan leaves there, [0x550000000000,
 * 0x568000000000): r in [0x350000, 0x368000). Nothing else in the binary calls
 * rand_r (tests/tsan is never part of a product build).
 */
#include <stdlib.h>

#if defined(__x86_64__)
int rand_r(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (int)(0x350000u + (*seed >> 8) % 0x18000u);
}
#endif
