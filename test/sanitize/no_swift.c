/*
 * Preloaded after libasan into the uninstrumented postgres binary.
 *
 * A preloaded libasan initializes at the first malloc, which in postgres
 * comes from libgpg-error's constructor inside bindtextdomain(), holding
 * glibc's gettext lock. ASan's initialization looks up swift_demangle with
 * dlsym(); when that fails, dlerror() translates its message, takes the
 * same lock again and leaves it broken: postgres -V hangs in main(). With
 * the symbol defined the lookup succeeds and nothing is translated.
 * Returning NULL makes ASan demangle names as C++, as it would anyway.
 */
#include <stddef.h>

extern char *swift_demangle(const char *mangled, size_t len, char *out,
							size_t *out_len, unsigned flags);

char *
swift_demangle(const char *mangled, size_t len, char *out, size_t *out_len,
			   unsigned flags)
{
	(void) mangled;
	(void) len;
	(void) out;
	(void) out_len;
	(void) flags;
	return NULL;
}
