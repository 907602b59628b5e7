/*
 * version.h
 *		The extension's version in this database against the library's.
 */
#ifndef SMS_API_VERSION_H
#define SMS_API_VERSION_H

/*
 * extversion of sms_api in this database (palloc'd in the current memory
 * context), or NULL when it is not installed. Needs a transaction.
 */
extern char *extension_version(void);

/*
 * Raise 55000, hinting at ALTER EXTENSION sms_api UPDATE, when this
 * database's extension is at another version than the library: its
 * tables and functions are not the shape the library's statements expect.
 * Looks once per transaction.
 */
extern void sms_api_require_extension_version(void);

#endif							/* SMS_API_VERSION_H */
