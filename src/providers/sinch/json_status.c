/*
 * json_status.c
 *		A status list answer decoded as PostgreSQL's JSON lexer reads it,
 *		building no tree: a page of 100,000 statuses made json-c allocate
 *		and free some 1.3 million objects, most of the decoding's time.
 *
 * The grammar is checked here, token by token, with an explicit stack (no
 * recursion, a small depth limit); each item's members are kept as they
 * come (a repeated member replaces the earlier one, as json-c does) and
 * read by the same rules as json-c's items (status_from_fields). Whatever
 * this decoder cannot tell (not JSON to PostgreSQL's lexer, invalid UTF-8,
 * deeper nesting, a \u0000, which the lexer refuses) goes to json-c, which
 * decides it as it always did.
 *
 * PostgreSQL 17 changed makeJsonLexContextCstringLen() to fill a caller's
 * JsonLexContext and added freeJsonLexContext(): guarded below.
 */
#include "postgres.h"

#include <errno.h>
#include <limits.h>

#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"

#include "providers/sinch/json_status.h"

/* A list answer is three levels deep; deeper ones go to json-c. */
#define STREAM_MAX_DEPTH 16

/* What a container is to the decoder. */
typedef enum Role
{
	ROLE_NONE,					/* skipped: only its grammar counts */
	ROLE_ROOT,					/* the envelope */
	ROLE_LIST,					/* the array under the key */
	ROLE_ITEM					/* one status */
} Role;

/* What the last value under the key was. */
typedef enum ListState
{
	LIST_ABSENT,
	LIST_ARRAY,
	LIST_NULL,
	LIST_OTHER
} ListState;

typedef struct Stream
{
	JsonLexContext *lex;
	const char *key;			/* the envelope's array */
	int			depth;
	bool		in_object[STREAM_MAX_DEPTH + 1];
	Role		role[STREAM_MAX_DEPTH + 1];
	int			member;			/* the current member of an item (StatusField), -1 */
	bool		member_is_key;	/* the current member of the envelope is `key` */
	bool		root_is_object;
	ListState	list;
	/* the current item: each field's value, its string bytes in `strings` */
	JsonValue	fields[STATUS_FIELDS];
	int			offsets[STATUS_FIELDS];
	StringInfoData strings;
	/* the items decoded so far */
	StatusList *out;
	int			cap;
} Stream;

static void
reset_list(Stream *s, ListState state)
{
	/* a repeated envelope member replaces the earlier one, as in json-c */
	s->list = state;
	s->out->n = 0;
	s->out->skipped = 0;
}

static void
item_start(Stream *s)
{
	memset(s->fields, 0, sizeof(s->fields));
	resetStringInfo(&s->strings);
}

static void
item_end(Stream *s)
{
	ApiStatus  *slot;

	if (s->out->n == s->cap)
	{
		s->cap *= 2;
		s->out->items = repalloc_huge(s->out->items, (Size) s->cap * sizeof(ApiStatus));
	}
	/* the strings' bytes have settled: point the fields at them */
	for (int f = 0; f < STATUS_FIELDS; f++)
		if (s->fields[f].kind == JV_STRING)
			s->fields[f].str = s->strings.data + s->offsets[f];
	slot = &s->out->items[s->out->n];
	if (status_from_fields(s->fields, slot))
		s->out->n++;
	else
		s->out->skipped++;
	CHECK_FOR_INTERRUPTS();
}

/* A number token (lexed, so well-formed) without fraction or exponent. */
static bool
is_integer(const char *tok, int len)
{
	for (int i = 0; i < len; i++)
		if (tok[i] == '.' || tok[i] == 'e' || tok[i] == 'E')
			return false;
	return true;
}

/* A scalar member of an item, from the token just lexed. */
static void
set_field(Stream *s, JsonTokenType type)
{
	JsonValue  *v = &s->fields[s->member];
	const char *tok = s->lex->token_start;
	int			len = s->lex->token_terminator - s->lex->token_start;

	memset(v, 0, sizeof(*v));
	switch (type)
	{
		case JSON_TOKEN_STRING:
			v->kind = JV_STRING;
			v->len = s->lex->strval->len;
			s->offsets[s->member] = s->strings.len;
			appendBinaryStringInfo(&s->strings, s->lex->strval->data, v->len);
			break;
		case JSON_TOKEN_NUMBER:
			v->kind = JV_OTHER;
			/* an integer has no fraction or exponent; past int64 it is not one */
			if (is_integer(tok, len))
			{
				char		buf[32];
				char	   *end;

				if (len < (int) sizeof(buf))
				{
					memcpy(buf, tok, len);
					buf[len] = '\0';
					errno = 0;
					v->ival = strtoll(buf, &end, 10);
					if (errno == 0 && *end == '\0')
						v->kind = JV_INT;
				}
			}
			break;
		case JSON_TOKEN_NULL:
			break;
		default:
			v->kind = JV_OTHER;
			break;
	}
}

/*
 * A value begins with the token just lexed (a scalar or an opening
 * bracket): what it is to the decoder, from where it stands.
 */
static Role
value_role(Stream *s, JsonTokenType type)
{
	bool		object = (type == JSON_TOKEN_OBJECT_START);
	bool		array = (type == JSON_TOKEN_ARRAY_START);
	Role		parent = s->depth > 0 ? s->role[s->depth] : ROLE_NONE;

	if (s->depth == 0)
	{
		s->root_is_object = object;
		return object ? ROLE_ROOT : ROLE_NONE;
	}
	switch (parent)
	{
		case ROLE_ROOT:
			if (!s->member_is_key)
				return ROLE_NONE;
			reset_list(s, array ? LIST_ARRAY : type == JSON_TOKEN_NULL ? LIST_NULL : LIST_OTHER);
			return array ? ROLE_LIST : ROLE_NONE;
		case ROLE_LIST:
			if (object)
			{
				item_start(s);
				return ROLE_ITEM;
			}
			s->out->skipped++;
			return ROLE_NONE;
		case ROLE_ITEM:
			if (s->member >= 0)
				set_field(s, object || array ? JSON_TOKEN_OBJECT_START : type);
			return ROLE_NONE;
		case ROLE_NONE:
			break;
	}
	return ROLE_NONE;
}

/* Parser states: what the next token may be. */
typedef enum Expect
{
	EXPECT_VALUE,
	EXPECT_FIRST_KEY,			/* a key or '}' */
	EXPECT_KEY,
	EXPECT_COLON,
	EXPECT_FIRST_VALUE,			/* a value or ']' */
	EXPECT_NEXT,				/* ',' or the container's end */
	EXPECT_END
} Expect;

/* Run the grammar over the whole text; false if it is not JSON we decide. */
static bool
parse(Stream *s)
{
	Expect		expect = EXPECT_VALUE;
	JsonLexContext *lex = s->lex;

	for (;;)
	{
		JsonTokenType type;

		if (json_lex(lex) != JSON_SUCCESS)
			return false;
		type = lex->token_type;
		switch (expect)
		{
			case EXPECT_FIRST_VALUE:
				if (type == JSON_TOKEN_ARRAY_END)
					goto close;
				/* FALLTHROUGH */
			case EXPECT_VALUE:
				switch (type)
				{
					case JSON_TOKEN_OBJECT_START:
					case JSON_TOKEN_ARRAY_START:
						{
							Role		role = value_role(s, type);

							if (s->depth == STREAM_MAX_DEPTH)
								return false;
							s->depth++;
							s->in_object[s->depth] = (type == JSON_TOKEN_OBJECT_START);
							s->role[s->depth] = role;
							expect = s->in_object[s->depth] ? EXPECT_FIRST_KEY : EXPECT_FIRST_VALUE;
							continue;
						}
					case JSON_TOKEN_STRING:
					case JSON_TOKEN_NUMBER:
					case JSON_TOKEN_TRUE:
					case JSON_TOKEN_FALSE:
					case JSON_TOKEN_NULL:
						(void) value_role(s, type);
						expect = s->depth == 0 ? EXPECT_END : EXPECT_NEXT;
						continue;
					default:
						return false;
				}
			case EXPECT_FIRST_KEY:
				if (type == JSON_TOKEN_OBJECT_END)
					goto close;
				/* FALLTHROUGH */
			case EXPECT_KEY:
				if (type != JSON_TOKEN_STRING)
					return false;
				if (s->role[s->depth] == ROLE_ITEM)
					s->member = status_field(lex->strval->data, lex->strval->len);
				else if (s->role[s->depth] == ROLE_ROOT)
					s->member_is_key = strlen(s->key) == (size_t) lex->strval->len &&
						memcmp(s->key, lex->strval->data, lex->strval->len) == 0;
				expect = EXPECT_COLON;
				continue;
			case EXPECT_COLON:
				if (type != JSON_TOKEN_COLON)
					return false;
				expect = EXPECT_VALUE;
				continue;
			case EXPECT_NEXT:
				if (type == JSON_TOKEN_COMMA)
				{
					expect = s->in_object[s->depth] ? EXPECT_KEY : EXPECT_VALUE;
					continue;
				}
				if (type == (s->in_object[s->depth] ? JSON_TOKEN_OBJECT_END : JSON_TOKEN_ARRAY_END))
					goto close;
				return false;
			case EXPECT_END:
				return type == JSON_TOKEN_END;
		}
		return false;

close:
		/* the container at s->depth ends */
		if (s->role[s->depth] == ROLE_ITEM)
			item_end(s);
		s->depth--;
		expect = s->depth == 0 ? EXPECT_END : EXPECT_NEXT;
	}
}

bool
status_stream_answer(const char *body, size_t len, const char *key,
					 StatusList *out, const char **problem)
{
	Stream		s;
	bool		decided;

#if PG_VERSION_NUM >= 170000
	JsonLexContext lex;
#endif

	/* json-c validates UTF-8; PostgreSQL's lexer leaves that to its callers */
	if (len == 0 || len > INT_MAX || !pg_verify_mbstr(PG_UTF8, body, (int) len, true))
		return false;
	memset(&s, 0, sizeof(s));
	s.key = key;
	s.member = -1;
	s.out = out;
	s.cap = 16;
	memset(out, 0, sizeof(*out));
	out->items = palloc_extended(s.cap * sizeof(ApiStatus), MCXT_ALLOC_HUGE);
	initStringInfo(&s.strings);
#if PG_VERSION_NUM >= 170000
	s.lex = makeJsonLexContextCstringLen(&lex, body, len, PG_UTF8, true);
#else
	s.lex = makeJsonLexContextCstringLen(unconstify(char *, body), (int) len, PG_UTF8, true);
#endif
	decided = parse(&s);
#if PG_VERSION_NUM >= 170000
	freeJsonLexContext(s.lex);
#endif
	pfree(s.strings.data);
	if (!decided)
	{
		pfree(out->items);
		memset(out, 0, sizeof(*out));
		return false;
	}
	*problem = NULL;
	if (!s.root_is_object)
		*problem = "Expected a JSON object.";
	else if (s.list == LIST_ABSENT)
		*problem = psprintf("The answer has no \"%s\" member.", key);
	else if (s.list == LIST_OTHER)
		*problem = psprintf("\"%s\" is not an array.", key);
	if (*problem != NULL)
		out->n = out->skipped = 0;
	return true;
}
