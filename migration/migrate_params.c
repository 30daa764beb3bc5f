// SPDX-License-Identifier: MIT
/* Live-migration parameters and status names (see migrate.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration/migrate.h"
#include "vmm/core/errbuf.h"

void migrate_params_default(struct migrate_params *p)
{
	memset(p, 0, sizeof(*p));
	p->port = MIGRATE_DEFAULT_PORT;
	p->ktls = true;
	p->connections = MIGRATE_DEFAULT_CONNECTIONS;
	p->downtime_ms = MIGRATE_DEFAULT_DOWNTIME_MS;
	p->zstd_level = MIGRATE_DEFAULT_ZSTD_LEVEL;
}

int migrate_parse_address(const char *s, struct migrate_params *p, char *errbuf, size_t errlen)
{
	const char *colon, *host = s;
	size_t hlen;
	char *end;
	unsigned long port = MIGRATE_DEFAULT_PORT;

	if (!strncmp(s, "tcp:", 4))
		host = s + 4;
	if (host[0] == '[') {
		const char *close = strchr(host, ']');

		if (!close) {
			ERR("'%s': an IPv6 address needs its closing ']'", s);
			return -EINVAL;
		}
		hlen = (size_t)(close - host - 1);
		host++;
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] && !colon) {
			ERR("'%s': expected ':PORT' after the address", s);
			return -EINVAL;
		}
	} else {
		colon = strrchr(host, ':');
		hlen = colon ? (size_t)(colon - host) : strlen(host);
	}
	if (!hlen || hlen >= sizeof(p->host)) {
		ERR("'%s': expected HOST[:PORT] (e.g. 10.0.0.2:%u)", s, MIGRATE_DEFAULT_PORT);
		return -EINVAL;
	}
	if (colon) {
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || port == 0 || port > 65535) {
			ERR("'%s': the port must be a number from 1 to 65535", s);
			return -EINVAL;
		}
	}
	memcpy(p->host, host, hlen);
	p->host[hlen] = 0;
	p->port = (uint16_t)port;
	return 0;
}

static const char *const status_names[] = {
	[MIGRATE_NONE] = "none",         [MIGRATE_SETUP] = "setup",
	[MIGRATE_ACTIVE] = "active",     [MIGRATE_PRE_SWITCHOVER] = "pre-switchover",
	[MIGRATE_DEVICE] = "device",     [MIGRATE_CANCELLING] = "cancelling",
	[MIGRATE_CANCELLED] = "cancelled", [MIGRATE_FAILED] = "failed",
	[MIGRATE_COMPLETED] = "completed",
};

const char *migrate_status_name(enum migrate_status s)
{
	return (unsigned)s < sizeof(status_names) / sizeof(status_names[0]) ? status_names[s] : "unknown";
}

bool migrate_status_finished(enum migrate_status s)
{
	return s == MIGRATE_NONE || s == MIGRATE_CANCELLED || s == MIGRATE_FAILED || s == MIGRATE_COMPLETED;
}
