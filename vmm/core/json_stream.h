/* SPDX-License-Identifier: MIT */
/*
 * Splits a byte stream into JSON values, as they arrive on a socket: a value may
 * span several reads and one read may hold several values, with or without
 * whitespace between them. Bounds the size of one value and resynchronises after
 * malformed input. Shared by the QMP server and client.
 */
#ifndef VMM_JSON_STREAM_H
#define VMM_JSON_STREAM_H

#include <stddef.h>
#include <json-c/json.h>

#include "vmm/core/compiler.h"

enum json_stream_status {
	JSON_STREAM_MORE,	/* every byte consumed, no value complete yet */
	JSON_STREAM_VALUE,	/* one complete value returned */
	JSON_STREAM_ERROR,	/* malformed input, reported once; the stream has resynchronised */
	JSON_STREAM_OVERSIZE,	/* one value exceeds the limit: give up on this stream */
};

struct json_stream {
	struct json_tokener *tok;
	size_t max_value;	/* bytes one value (with its leading whitespace) may take */
	size_t value_bytes;	/* bytes fed into the value in progress */
};

/* max_value: the largest value accepted, in bytes (> 0). */
int json_stream_init(struct json_stream *js, size_t max_value) __must_check;
void json_stream_fini(struct json_stream *js);

/*
 * Consumes bytes from buf[0..len) until one value is complete, an error occurs or
 * the input runs out; *used tells how many were consumed. Call again with the rest.
 *
 * JSON_STREAM_VALUE: *value is a new reference for the caller.
 * JSON_STREAM_ERROR: *errmsg describes the problem (static string). The rest of the
 *   erroneous input is discarded up to and including the next newline, or to the end
 *   of buf when there is none: clients conventionally end each message with a newline
 *   and send one message per write.
 */
enum json_stream_status json_stream_feed(struct json_stream *js, const char *buf, size_t len,
					 size_t *used, struct json_object **value,
					 const char **errmsg) __must_check;

#endif
