/* SPDX-License-Identifier: MIT */
/*
 * The compatibility checker: can a source (vm_desc.h) be restored or migrated to a
 * destination (host_desc.h), and exactly why not. One implementation for
 * `vmm-compat check`, `vmm restore` and the migration handshake.
 *
 * Each finding has a stable code (for orchestrators; never renamed, only added),
 * a severity, a subject (what it is about), a reason and a fix:
 *   incompatible  the restore/migration will fail (or break the guest)
 *   needs-change  it works only with a change (an ID-register field set to the
 *                 source's value, a feature given up); the fix says which
 * Codes: arch, format-major, format-minor, section-unknown, section-missing,
 * section-version, vcpu-limit, memory, ipa-size, smccc-filter, hotplug-abi,
 * gic-version, gic-layout, gic-irqs, topology, register-unknown, register-extra,
 * id-reg-differs, id-reg-writable, pmu, sve, ptrauth, nisv, dirty-log.
 *
 * JSON ("schema": "vmm-compat-report/1"):
 *   {"schema", "compatible": bool, "findings": [{"code","severity","subject","reason","fix"}],
 *    "truncated": n}
 */
#ifndef MIGRATION_COMPAT_CHECK_H
#define MIGRATION_COMPAT_CHECK_H

#include <stdio.h>

#include "migration/compat/host_desc.h"
#include "migration/compat/vm_desc.h"

#define COMPAT_REPORT_SCHEMA "vmm-compat-report/1"
#define COMPAT_MAX_FINDINGS 128

enum compat_severity {
	COMPAT_INCOMPATIBLE,
	COMPAT_NEEDS_CHANGE,
};

struct compat_finding {
	char code[24];
	enum compat_severity severity;
	char subject[64];
	char reason[256];
	char fix[256];
};

struct compat_report {
	uint32_t nr;
	uint32_t truncated; /* findings beyond COMPAT_MAX_FINDINGS, not kept */
	struct compat_finding findings[COMPAT_MAX_FINDINGS];
};

/* Fills out with every finding (out is reset first). */
void compat_check(const struct vm_desc *src, const struct host_desc *dst, struct compat_report *out);
/* True when no finding is incompatible. */
bool compat_report_ok(const struct compat_report *r);
const char *compat_severity_name(enum compat_severity s);
/* Adds a finding (the checker's and the descriptor diff's one way of reporting). */
void compat_report_add(struct compat_report *r, const char *code, enum compat_severity sev, const char *subject,
		       const char *fix, const char *fmt, ...) __printf(6, 7);

/* "incompatible  vcpu-limit  max_vcpus: ... (fix: ...)" lines, then a verdict. */
void compat_report_print(FILE *f, const struct compat_report *r);
/* The incompatible findings joined in one line ("; "), for an error message. */
void compat_report_summary(const struct compat_report *r, char *buf, size_t len);
int compat_report_to_json(const struct compat_report *r, struct json_object **out) __must_check;

#endif
