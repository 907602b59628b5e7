/*
 * A Directcall answer: the send's {status, codigo, msg, callerid}
 * (directcall_decode_answer, directcall_answer_code) and the token's
 * {access_token, expires_in} (directcall_decode_token).
 */
#include "shim.h"

#include "providers/directcall/directcall.h"

const bool	fuzz_errors_allowed = false;

void
fuzz_one(const char *data, size_t len)
{
	DirectcallAnswer a;
	HttpResult	res;
	char	   *token;
	int64		expires_in;
	char	   *code;

	if (directcall_decode_answer(data, len, &a) == NULL && a.code == NULL)
		shim_fail("an answer accepted without a codigo");
	memset(&res, 0, sizeof(res));
	res.outcome = HTTP_ANSWERED;
	res.body = unconstify(char *, data);
	res.body_len = len;
	code = directcall_answer_code(&res);
	if (code != NULL && a.code != NULL && strcmp(code, a.code) != 0)
		shim_fail("two decodings of one answer disagree");
	if (directcall_decode_token(data, len, &token, &expires_in) == NULL && token == NULL)
		shim_fail("a token answer accepted without a token");
	if (expires_in == 0 || expires_in < -1)
		shim_fail("expires_in %lld", (long long) expires_in);
}
