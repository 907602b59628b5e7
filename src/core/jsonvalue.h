/*
 * jsonvalue.h
 *		A JSON member's value as the lenient readers see it, whichever
 *		parser found it (json-c's tree or a streaming decode), so that both
 *		read fields by the same rules (see jsonvalue.c).
 */
#ifndef SMS_API_JSONVALUE_H
#define SMS_API_JSONVALUE_H

typedef enum JsonValueKind
{
	JV_ABSENT,					/* missing or null */
	JV_STRING,
	JV_INT,						/* an integer that fits in int64 */
	JV_OTHER					/* any other number, a boolean, an object, an array */
} JsonValueKind;

typedef struct JsonValue
{
	JsonValueKind kind;
	const char *str;			/* JV_STRING: its bytes, not NUL-terminated */
	int			len;
	int64		ival;			/* JV_INT */
} JsonValue;

/*
 * Lenient readers: a value of an unexpected type counts as absent, so one
 * odd field never costs a whole item. Text of a string (NULL if it holds a
 * NUL) or of an integer, palloc'd; an integer given as a JSON integer or a
 * string of digits.
 */
extern char *jv_text(const JsonValue *v);
extern bool jv_int64(const JsonValue *v, int64 *out);
extern bool jv_int32(const JsonValue *v, int32 *out);

#endif							/* SMS_API_JSONVALUE_H */
