/*
 * fuzz_main.c
 *		libFuzzer's entry point for every target: the input is copied into a
 *		buffer of exactly its length plus a NUL (as src/http hands a body
 *		over), the target runs inside PG_TRY as backend code does, and the
 *		shim's memory is reset afterwards as the server resets a query's
 *		context. An ERROR where the target allows none, or one without an
 *		errcode, is a finding.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"

#include "shim.h"

extern int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern void shim_reset_memory(void);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *buf = malloc(size + 1);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	PG_TRY();
	{
		fuzz_one(buf, size);
	}
	PG_CATCH();
	{
		if (!fuzz_errors_allowed)
			shim_fail("a decoder raised ERROR %s: %s",
					  unpack_sql_state(shim_error_code()), shim_error_message());
		if (shim_error_code() == ERRCODE_INTERNAL_ERROR)
			shim_fail("ERROR without an errcode: %s", shim_error_message());
		FlushErrorState();
	}
	PG_END_TRY();
	if (PG_exception_stack != NULL || error_context_stack != NULL)
		shim_fail("PG_TRY nesting or error context stack left unbalanced");
	shim_reset_memory();
	free(buf);
	return 0;
}

char *
unpack_sql_state(int sql_state)
{
	static char buf[12];

	for (int i = 0; i < 5; i++)
	{
		buf[i] = PGUNSIXBIT(sql_state);
		sql_state >>= 6;
	}
	buf[5] = '\0';
	return buf;
}

int
shim_split(const char *data, size_t len, const char **fields, int max)
{
	int			n = 0;
	size_t		start = 0;

	while (n < max && start <= len)
	{
		fields[n++] = data + start;
		start += strlen(data + start) + 1;
	}
	return n;
}

bool
shim_valid_utf8(const char *s)
{
	int			len = strlen(s);

	return pg_encoding_verifymbstr(PG_UTF8, s, len) == len;
}
