// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "migration/format/error.h"

void mig_err_set(struct mig_err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

void mig_err_prefix(struct mig_err *e, const char *fmt, ...)
{
	char old[MIG_ERR_LEN];
	char head[MIG_ERR_LEN];
	va_list ap;

	if (!e)
		return;
	memcpy(old, e->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	/* Truncation is fine: the head (the context) comes first. */
	if (snprintf(e->msg, sizeof(e->msg), "%s: %s", head, old) < 0)
		e->msg[0] = '\0';
}
