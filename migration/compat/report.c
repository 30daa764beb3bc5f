// SPDX-License-Identifier: MIT
/* Findings: collecting and rendering them (check.h). */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <string.h>

#include "migration/compat/check.h"
#include "vmm/core/json_util.h"

const char *compat_severity_name(enum compat_severity s)
{
	return s == COMPAT_INCOMPATIBLE ? "incompatible" : "needs-change";
}

void compat_report_add(struct compat_report *r, const char *code, enum compat_severity sev, const char *subject,
		       const char *fix, const char *fmt, ...)
{
	struct compat_finding *f;
	va_list ap;

	if (r->nr == COMPAT_MAX_FINDINGS) {
		r->truncated++;
		return;
	}
	f = &r->findings[r->nr++];
	snprintf(f->code, sizeof(f->code), "%s", code);
	f->severity = sev;
	snprintf(f->subject, sizeof(f->subject), "%s", subject);
	snprintf(f->fix, sizeof(f->fix), "%s", fix);
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
}

bool compat_report_ok(const struct compat_report *r)
{
	uint32_t i;

	for (i = 0; i < r->nr; i++)
		if (r->findings[i].severity == COMPAT_INCOMPATIBLE)
			return false;
	return true;
}

void compat_report_print(FILE *f, const struct compat_report *r)
{
	uint32_t i;

	for (i = 0; i < r->nr; i++) {
		const struct compat_finding *x = &r->findings[i];

		fprintf(f, "%-12s %-16s %s: %s\n", compat_severity_name(x->severity), x->code, x->subject, x->reason);
		if (x->fix[0])
			fprintf(f, "%-12s %-16s fix: %s\n", "", "", x->fix);
	}
	if (r->truncated)
		fprintf(f, "... and %u more findings\n", r->truncated);
	if (!compat_report_ok(r))
		fprintf(f, "verdict: incompatible\n");
	else
		fprintf(f, "verdict: compatible%s\n", r->nr ? " with the changes above" : "");
}

void compat_report_summary(const struct compat_report *r, char *buf, size_t len)
{
	size_t used = 0;
	uint32_t i;

	if (len)
		buf[0] = 0;
	for (i = 0; i < r->nr && used + 1 < len; i++) {
		const struct compat_finding *x = &r->findings[i];
		int n;

		if (x->severity != COMPAT_INCOMPATIBLE)
			continue;
		n = snprintf(buf + used, len - used, "%s%s: %s (%s)", used ? "; " : "", x->code, x->reason, x->fix);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int compat_report_to_json(const struct compat_report *r, struct json_object **out)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	uint32_t i;
	int ret = json_add_str(o, "schema", COMPAT_REPORT_SCHEMA);

	if (!ret)
		ret = json_add_obj(o, "compatible", json_object_new_boolean(compat_report_ok(r)));
	if (!ret)
		ret = json_add_obj(o, "findings", a);
	else
		json_object_put(a);
	for (i = 0; !ret && i < r->nr; i++) {
		const struct compat_finding *x = &r->findings[i];
		struct json_object *e = json_object_new_object();

		if (!e || json_object_array_add(a, e) < 0) {
			json_object_put(e);
			ret = -ENOMEM;
			break;
		}
		ret = json_add_str(e, "code", x->code);
		if (!ret)
			ret = json_add_str(e, "severity", compat_severity_name(x->severity));
		if (!ret)
			ret = json_add_str(e, "subject", x->subject);
		if (!ret)
			ret = json_add_str(e, "reason", x->reason);
		if (!ret)
			ret = json_add_str(e, "fix", x->fix);
	}
	if (!ret)
		ret = json_add_int(o, "truncated", r->truncated);
	if (ret) {
		json_object_put(o);
		return ret;
	}
	*out = o;
	return 0;
}
