/*
 * sinch_api.h
 *		How the Sinch API is addressed, authenticated and read: the targets
 *		its calls go through (core/api.h).
 */
#ifndef SMS_API_SINCH_API_H
#define SMS_API_SINCH_API_H

#include "core/api.h"

/* Sends (sms_api.send_rate_limit) and status queries (query_rate_limit). */
extern const ApiTarget sinch_send;
extern const ApiTarget sinch_query;

#endif							/* SMS_API_SINCH_API_H */
