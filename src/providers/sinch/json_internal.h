/*
 * json_internal.h
 *		json-c helpers shared by the codec's two files (json.c encodes
 *		requests, json_answer.c decodes answers). Nothing else includes
 *		json-c, and these files never include utils/builtins.h: json-c's
 *		json_object type collides with PostgreSQL's json_object().
 */
#ifndef SMS_API_JSON_INTERNAL_H
#define SMS_API_JSON_INTERNAL_H

#include <json-c/json.h>

/* Raise "out of memory" for a failed json-c allocation. */
extern void json_oom(void) pg_attribute_noreturn();

/* Parse JSON text strictly (valid UTF-8, nothing after it); NULL if invalid. */
extern struct json_object *json_parse_text(const char *text, size_t len);

#endif							/* SMS_API_JSON_INTERNAL_H */
