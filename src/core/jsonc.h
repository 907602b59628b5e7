/*
 * jsonc.h
 *		json-c helpers shared by the providers' codecs (see jsonc.c).
 */
#ifndef SMS_API_JSONC_H
#define SMS_API_JSONC_H

#include <json-c/json.h>

#include "core/jsonvalue.h"

/* Raise "out of memory" for a failed json-c allocation. */
extern void json_oom(void) pg_attribute_noreturn();

/* Parse JSON text strictly (valid UTF-8, nothing after it); NULL if invalid. */
extern struct json_object *json_parse_text(const char *text, size_t len);

/* Zero what the parser keeps of the last text (it held a credential). */
extern void json_forget_text(void);

/* The object's JSON text, palloc'd. */
extern char *json_serialize(struct json_object *obj, size_t *len);

/* Control characters blanked, cut at 500 bytes on a character boundary. */
extern char *json_printable(const char *s, size_t n);

/* A member as the lenient readers see it (core/jsonvalue.h). */
extern void json_member_value(struct json_object *obj, const char *key, JsonValue *out);

/* jv_text(), jv_int64(), jv_int32() of a member. */
extern char *json_lenient_text(struct json_object *obj, const char *key);
extern bool json_lenient_int64(struct json_object *obj, const char *key, int64 *out);
extern bool json_lenient_int32(struct json_object *obj, const char *key, int32 *out);

#endif							/* SMS_API_JSONC_H */
