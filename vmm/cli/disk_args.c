// SPDX-License-Identifier: MIT
/* `--disk path=FILE[,readonly=on|off][,serial=S][,cache=writeback|none][,num_queues=N]`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cli/run_args.h"

static bool key_is(const char *p, size_t klen, const char *key)
{
	return strlen(key) == klen && !strncmp(p, key, klen);
}

int cli_parse_disk(char *s, struct vm_disk_cfg *d, char *errbuf, size_t errlen)
{
	char *p = s;

	memset(d, 0, sizeof(*d));
	d->num_queues = 1;
	while (p && *p) {
		char *comma = strchr(p, ',');
		char *eq, *val;
		size_t klen;

		if (comma)
			*comma = '\0';
		eq = strchr(p, '=');
		if (!eq) {
			snprintf(errbuf, errlen, "--disk: expected key=value, got '%s'", p);
			return -EINVAL;
		}
		klen = (size_t)(eq - p);
		val = eq + 1;
		if (key_is(p, klen, "path")) {
			if (!*val || strlen(val) >= sizeof(d->path)) {
				snprintf(errbuf, errlen, "--disk: path is empty or longer than %zu bytes", sizeof(d->path) - 1);
				return -EINVAL;
			}
			snprintf(d->path, sizeof(d->path), "%s", val);
		} else if (key_is(p, klen, "readonly")) {
			if (!strcmp(val, "on"))
				d->readonly = true;
			else if (!strcmp(val, "off"))
				d->readonly = false;
			else {
				snprintf(errbuf, errlen, "--disk: readonly must be on or off, got '%s'", val);
				return -EINVAL;
			}
		} else if (key_is(p, klen, "serial")) {
			size_t n = strlen(val);

			if (n > VM_DISK_SERIAL_MAX) {
				snprintf(errbuf, errlen, "--disk: serial '%s' is longer than %u characters", val,
					 VM_DISK_SERIAL_MAX);
				return -EINVAL;
			}
			for (size_t i = 0; i < n; i++) {
				if (val[i] < 0x20 || val[i] > 0x7e) {
					snprintf(errbuf, errlen, "--disk: serial must be printable ASCII");
					return -EINVAL;
				}
			}
			memcpy(d->serial, val, n + 1);
		} else if (key_is(p, klen, "cache")) {
			if (!strcmp(val, "writeback"))
				d->cache_none = false;
			else if (!strcmp(val, "none"))
				d->cache_none = true;
			else {
				snprintf(errbuf, errlen, "--disk: cache must be writeback or none, got '%s'", val);
				return -EINVAL;
			}
		} else if (key_is(p, klen, "num_queues")) {
			char *end;
			unsigned long n = strtoul(val, &end, 10);

			if (!*val || *end || n < 1 || n > 8) {
				snprintf(errbuf, errlen, "--disk: num_queues must be 1..8, got '%s'", val);
				return -EINVAL;
			}
			d->num_queues = (unsigned)n;
		} else {
			snprintf(errbuf, errlen, "--disk: unknown key '%.*s' (path, readonly, serial, cache, num_queues)",
				 (int)klen, p);
			return -EINVAL;
		}
		p = comma ? comma + 1 : NULL;
	}
	if (!d->path[0]) {
		snprintf(errbuf, errlen, "--disk: path=FILE is required");
		return -EINVAL;
	}
	return 0;
}
