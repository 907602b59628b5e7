/*
 * An answer that is not accepted, as api.c classifies it for each target
 * (Sinch, Reach, Directcall and its token endpoint): the provider's
 * refused() and classify() callbacks, or api_classify_status(), with the
 * error text each takes from the body. Byte 0 picks the target, bytes 1-2
 * the HTTP status (100-599), byte 3 the attempts; the rest is the body.
 * What the client is shown must be valid UTF-8, free of control
 * characters and of the secret.
 */
#include "shim.h"

#include "providers/directcall/directcall.h"
#include "providers/reach/reach.h"
#include "providers/sinch/sinch_api.h"

const bool	fuzz_errors_allowed = false;

static void
check_shown(const char *what, const char *s)
{
	if (s == NULL)
		return;
	if (strstr(s, SHIM_SECRET) != NULL)
		shim_fail("the secret shows in the error's %s", what);
	if (!shim_valid_utf8(s))
		shim_fail("the error's %s is not valid UTF-8", what);
	for (const char *p = s; *p; p++)
		if ((unsigned char) *p < 0x20)
			shim_fail("a control character in the error's %s", what);
}

void
fuzz_one(const char *data, size_t len)
{
	static const ApiTarget *const targets[] = {
		&sinch_send, &reach_target, &directcall_target, &directcall_token_target
	};
	const ApiTarget *t;
	HttpResult	res;
	ApiError	err;
	int			attempts;

	if (len < 4)
		return;
	t = targets[(unsigned char) data[0] % lengthof(targets)];
	memset(&res, 0, sizeof(res));
	res.outcome = HTTP_ANSWERED;
	res.status = 100 + (((unsigned char) data[1] << 8) | (unsigned char) data[2]) % 500;
	res.body = unconstify(char *, data + 4);
	res.body_len = len - 4;
	res.retry_after_s = -1;
	attempts = 1 + (unsigned char) data[3] % 3;
	/* api.c's accepted() and classify() for an answered attempt */
	if (res.status >= 200 && res.status < 300 && (t->refused == NULL || !t->refused(&res)))
		return;
	memset(&err, 0, sizeof(err));
	(void) (t->classify ? t->classify(t, &res, attempts, &err)
			: api_classify_status(t, &res, attempts, &err));
	if (err.sqlstate == 0 || err.message == NULL || err.message[0] == '\0')
		shim_fail("an answer classified without a SQLSTATE or a message");
	check_shown("message", err.message);
	check_shown("detail", err.detail);
	check_shown("hint", err.hint);
}
