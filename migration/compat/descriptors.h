/* SPDX-License-Identifier: MIT */
/*
 * The section descriptors of this build as JSON (`vmm --dump-descriptors FILE`,
 * `vmm-compat dump-descriptors FILE`), and the diff of two such dumps
 * (`vmm-compat diff-descriptors OLD NEW`): what breaks loading one build's stream
 * in the other (QEMU's vmstate-static-checker, for keyed sections).
 *
 * Dump ("schema": "vmm-descriptors/1"):
 *   {"schema", "format": {"major","minor"},
 *    "hotplug_abi": {"version", "registers": "0x<crc>", "aml": "0x<crc>"},
 *    "sections": [ DESC + {"optional": bool, "priority": n} ]}
 *   DESC = {"name","version","min_version",
 *           "fields": [{"name","type","count","array","since_version","struct": DESC?}],
 *           "subsections": [{"flags","mandatory","desc": DESC}]}
 *   type: bool u8 u16 u32 u64 i32 i64 buffer struct varray; count: elements (varray: the maximum).
 *
 * Diff findings (severity incompatible; a break that is deliberate is listed in
 * an allow-list, see tools/vmm-compat.c): format-major, section-removed,
 * section-added, section-made-mandatory, window, version-bump, field-removed,
 * field-retyped, field-added, subsection-mandatory, hotplug-abi,
 * hotplug-abi-unversioned. An additive field with since_version above the old
 * version, or a new optional subsection/section, is not a break.
 */
#ifndef MIGRATION_COMPAT_DESCRIPTORS_H
#define MIGRATION_COMPAT_DESCRIPTORS_H

#include "migration/compat/check.h"

#define DESCRIPTORS_SCHEMA "vmm-descriptors/1"

int compat_descriptors_dump(struct json_object **out, struct mig_err *err) __must_check;
/* Fills r with every break between two dumps; -EINVAL and err for a malformed dump. */
int compat_descriptors_diff(struct json_object *old_dump, struct json_object *new_dump, struct compat_report *r,
			    struct mig_err *err) __must_check;
/* Whether "CODE SUBJECT" of f is a line of an allow-list's text (NULL: none). */
bool compat_finding_allowed(const char *list, const struct compat_finding *f);

#endif
