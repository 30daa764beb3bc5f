// SPDX-License-Identifier: MIT
/* Placeholder, replaced by the transport benchmark. */
#include <stdio.h>
int main(void)
{
	return 0;
}
