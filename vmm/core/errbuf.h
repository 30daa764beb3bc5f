/* SPDX-License-Identifier: MIT */
/*
 * ERR(fmt, ...): writes the one message a failing function leaves in its
 * caller's buffer. For functions that take `char *errbuf, size_t errlen`.
 */
#ifndef VMM_CORE_ERRBUF_H
#define VMM_CORE_ERRBUF_H

#include <stdio.h>

#define ERR(...) snprintf(errbuf, errlen, __VA_ARGS__)

#endif
