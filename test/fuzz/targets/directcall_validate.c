/*
 * Directcall's checks of a number, a text, an audio, an audio id, a kind
 * and the options JSON an outbox row carries (directcall_read_options,
 * directcall_check_stored). Fields split at NUL bytes: options, number,
 * text, audio_id, kind, then the rest as audio bytes; each text valid
 * UTF-8. An ERROR is a rejection.
 */
#include "shim.h"

#include "providers/directcall/directcall.h"

const bool	fuzz_errors_allowed = true;

void
fuzz_one(const char *data, size_t len)
{
	const char *f[5] = {0};
	int			n = shim_split(data, len, f, 5);
	DirectcallOptions o;
	SmsMessage	msg;
	const char *problem;

	for (int i = 0; i < n; i++)
		if (!shim_valid_utf8(f[i]))
			return;
	problem = directcall_read_options(f[0], &o);
	if (problem == NULL && o.origin != NULL && !directcall_is_number(o.origin))
		shim_fail("an origin accepted that is no number");
	memset(&msg, 0, sizeof(msg));
	msg.flash = -1;
	msg.options_json = unconstify(char *, f[0]);
	msg.destination = unconstify(char *, f[1] ? f[1] : "");
	msg.message_text = unconstify(char *, f[2]);
	(void) directcall_check_stored(&msg);
	if (n == 5)
	{
		const char *audio = f[4] + strlen(f[4]) + 1;

		if (audio <= data + len)
			directcall_validate_audio(audio, data + len - audio, "audio");
		directcall_validate_kind(f[4], "kind");
	}
	if (f[3] != NULL)
		directcall_validate_audio_id(f[3], "audio_id");
	if (f[2] != NULL)
		directcall_validate_text(f[2], "message_text");
	if (f[1] != NULL)
		(void) directcall_validate_number(f[1], "destination");
}
