/*
 * send_result.h
 *		The columns of sms_api.send_result, as sms_send() and the bulk
 *		functions fill them.
 */
#ifndef SMS_API_SEND_RESULT_H
#define SMS_API_SEND_RESULT_H

enum
{
	RESULT_ID,
	RESULT_CORRELATION_ID,
	RESULT_DESTINATION,
	RESULT_BATCH_ID,
	RESULT_ERROR,
	RESULT_NATTS
};

#endif							/* SMS_API_SEND_RESULT_H */
