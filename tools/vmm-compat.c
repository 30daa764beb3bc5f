// SPDX-License-Identifier: MIT
/*
 * vmm-compat: will a snapshot or a VM fit a destination, and exactly why not.
 *
 *   vmm-compat check --source SNAPDIR|SOURCE.json --dest HOST.json [--json]
 *   vmm-compat describe-snapshot SNAPDIR          source description (JSON)
 *   vmm-compat describe-build                     this build's host description, no KVM part
 *   vmm-compat dump-descriptors FILE|-            section descriptors (JSON)
 *   vmm-compat diff-descriptors OLD NEW [--allow FILE] [--json]
 *
 * HOST.json comes from `vmm describe-host` run on the destination. The allow-list
 * of diff-descriptors records deliberate breaks, one "CODE SUBJECT" per line
 * ('#' starts a comment): those findings are shown as allowed and do not fail.
 * Exit status: 0 compatible (no break), 1 incompatible (a break), 2 usage or
 * unreadable input.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "migration/compat/check.h"
#include "migration/compat/descriptors.h"
#include "migration/compat/host_desc.h"
#include "migration/compat/vm_desc.h"
#include "vmm/qmp/client.h"

#define EXIT_INCOMPATIBLE 1
#define EXIT_USAGE 2

static void usage(FILE *f)
{
	fprintf(f, "usage: vmm-compat check --source SNAPDIR|SOURCE.json|qmp:SOCKET --dest HOST.json [--json]\n"
		   "       vmm-compat describe-snapshot SNAPDIR\n"
		   "       vmm-compat describe-build\n"
		   "       vmm-compat dump-descriptors FILE|-\n"
		   "       vmm-compat diff-descriptors OLD.json NEW.json [--allow FILE] [--json]\n");
}

static int fail(const char *what, const struct mig_err *err)
{
	fprintf(stderr, "vmm-compat: error: %s%s%s\n", what, err && err->msg[0] ? ": " : "", err ? err->msg : "");
	return EXIT_USAGE;
}

static int print_json(struct json_object *o)
{
	struct mig_err err = { "" };
	int ret = dj_write_file(o, "-", &err);

	json_object_put(o);
	return ret ? fail("cannot print", &err) : 0;
}

static int load_json_file(const char *path, struct json_object **out, struct mig_err *err)
{
	char *text;
	size_t len;
	int ret = dj_read_file(path, &text, &len, err);

	if (ret)
		return ret;
	ret = dj_parse(text, len, out, err);
	if (ret)
		mig_err_prefix(err, "%s", path);
	free(text);
	return ret;
}

/* A running VM: its QMP socket answers x-query-migration-source. */
static int load_running(const char *sock, struct vm_desc *d, struct mig_err *err)
{
	struct qmp_client *c;
	struct json_object *o = NULL;
	char *desc = NULL;
	int ret = qmp_client_connect(sock, 10000, &c);

	if (ret) {
		mig_err_set(err, "cannot connect to %s: %s", sock, strerror(-ret));
		return ret;
	}
	ret = qmp_client_execute(c, "x-query-migration-source", NULL, 60000, &o, &desc);
	if (ret)
		mig_err_set(err, "%s: x-query-migration-source: %s", sock, desc ? desc : strerror(-ret));
	else
		ret = vm_desc_from_json(o, d, err);
	free(desc);
	json_object_put(o);
	qmp_client_close(c);
	return ret;
}

static int load_source(const char *path, struct vm_desc *d, struct mig_err *err)
{
	struct stat st;
	char *text;
	size_t len;
	int ret;

	if (!strncmp(path, "qmp:", 4))
		return load_running(path + 4, d, err);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return vm_desc_from_snapshot(path, d, err);
	ret = dj_read_file(path, &text, &len, err);
	if (ret)
		return ret;
	ret = vm_desc_parse(text, len, d, err);
	if (ret)
		mig_err_prefix(err, "%s", path);
	free(text);
	return ret;
}

static int load_host(const char *path, struct host_desc *h, struct mig_err *err)
{
	char *text;
	size_t len;
	int ret = dj_read_file(path, &text, &len, err);

	if (ret)
		return ret;
	ret = host_desc_parse(text, len, h, err);
	if (ret)
		mig_err_prefix(err, "%s", path);
	free(text);
	return ret;
}

static int report_out(const struct compat_report *r, bool json)
{
	struct json_object *o;

	if (!json) {
		compat_report_print(stdout, r);
		return 0;
	}
	if (compat_report_to_json(r, &o))
		return fail("out of memory", NULL);
	return print_json(o);
}

static int cmd_check(int argc, char **argv)
{
	const char *src = NULL, *dst = NULL;
	struct mig_err err = { "" };
	struct vm_desc *s = calloc(1, sizeof(*s));
	struct host_desc *h = calloc(1, sizeof(*h));
	struct compat_report *r = calloc(1, sizeof(*r));
	bool json = false;
	int i, rc;

	if (!s || !h || !r) {
		rc = fail("out of memory", NULL);
		goto out;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--source") && i + 1 < argc) {
			src = argv[++i];
		} else if (!strcmp(argv[i], "--dest") && i + 1 < argc) {
			dst = argv[++i];
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else {
			fprintf(stderr, "vmm-compat: error: unexpected argument '%s'\n", argv[i]);
			usage(stderr);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (!src || !dst) {
		fprintf(stderr, "vmm-compat: error: check needs --source and --dest\n");
		usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (load_source(src, s, &err)) {
		rc = fail("cannot read the source", &err);
		goto out;
	}
	if (load_host(dst, h, &err)) {
		rc = fail("cannot read the destination", &err);
		goto out;
	}
	compat_check(s, h, r);
	rc = report_out(r, json);
	if (!rc && !compat_report_ok(r))
		rc = EXIT_INCOMPATIBLE;
out:
	free(s);
	free(h);
	free(r);
	return rc;
}

static int cmd_describe_snapshot(int argc, char **argv)
{
	struct mig_err err = { "" };
	struct vm_desc *d;
	struct json_object *o;
	int rc;

	if (argc != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return fail("out of memory", NULL);
	if (vm_desc_from_snapshot(argv[1], d, &err))
		rc = fail("cannot describe the snapshot", &err);
	else if (vm_desc_to_json(d, &o))
		rc = fail("out of memory", NULL);
	else
		rc = print_json(o);
	free(d);
	return rc;
}

static int cmd_describe_build(void)
{
	struct mig_err err = { "" };
	struct host_desc *h = calloc(1, sizeof(*h));
	struct json_object *o;
	int rc;

	if (!h)
		return fail("out of memory", NULL);
	if (host_desc_init_build(h, &err))
		rc = fail("cannot describe this build", &err);
	else if (host_desc_to_json(h, &o))
		rc = fail("out of memory", NULL);
	else
		rc = print_json(o);
	free(h);
	return rc;
}

static int cmd_dump(int argc, char **argv)
{
	struct mig_err err = { "" };
	struct json_object *o;
	int ret;

	if (argc != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (compat_descriptors_dump(&o, &err))
		return fail("cannot dump the descriptors", &err);
	ret = dj_write_file(o, argv[1], &err);
	json_object_put(o);
	return ret ? fail("cannot write the descriptors", &err) : 0;
}

static int cmd_diff(int argc, char **argv)
{
	struct json_object *a = NULL, *b = NULL;
	struct compat_report *r = calloc(1, sizeof(*r)), *keep = calloc(1, sizeof(*keep));
	struct mig_err err = { "" };
	const char *files[2] = { NULL, NULL }, *allow = NULL;
	char *list = NULL;
	size_t len;
	bool json = false;
	uint32_t i, nallowed = 0;
	int k = 0, rc;

	if (!r || !keep) {
		rc = fail("out of memory", NULL);
		goto out;
	}
	for (i = 1; i < (uint32_t)argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--allow") && i + 1 < (uint32_t)argc)
			allow = argv[++i];
		else if (k < 2 && argv[i][0] != '-')
			files[k++] = argv[i];
		else
			k = 3;
	}
	if (k != 2) {
		usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (allow && dj_read_file(allow, &list, &len, &err)) {
		rc = fail("cannot read the allow-list", &err);
		goto out;
	}
	if (load_json_file(files[0], &a, &err) || load_json_file(files[1], &b, &err) ||
	    compat_descriptors_diff(a, b, r, &err)) {
		rc = fail("cannot compare the descriptors", &err);
		goto out;
	}
	for (i = 0; i < r->nr; i++) {
		if (compat_finding_allowed(list, &r->findings[i])) {
			if (!json)
				printf("allowed      %-16s %s: %s\n", r->findings[i].code, r->findings[i].subject,
				       r->findings[i].reason);
			nallowed++;
		} else {
			keep->findings[keep->nr++] = r->findings[i];
		}
	}
	keep->truncated = r->truncated;
	if (json) {
		rc = report_out(keep, true);
	} else {
		for (i = 0; i < keep->nr; i++)
			printf("break        %-16s %s: %s\n%-29s fix: %s\n", keep->findings[i].code,
			       keep->findings[i].subject, keep->findings[i].reason, "", keep->findings[i].fix);
		printf("%u break%s, %u allowed\n", keep->nr, keep->nr == 1 ? "" : "s", nallowed);
		rc = 0;
	}
	if (!rc && (keep->nr || keep->truncated))
		rc = EXIT_INCOMPATIBLE;
out:
	json_object_put(a);
	json_object_put(b);
	free(list);
	free(r);
	free(keep);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "describe-snapshot"))
		return cmd_describe_snapshot(argc - 1, argv + 1);
	if (!strcmp(argv[1], "describe-build") && argc == 2)
		return cmd_describe_build();
	if (!strcmp(argv[1], "dump-descriptors"))
		return cmd_dump(argc - 1, argv + 1);
	if (!strcmp(argv[1], "diff-descriptors"))
		return cmd_diff(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return EXIT_USAGE;
}
