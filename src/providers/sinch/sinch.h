/*
 * sinch.h
 *		The Sinch provider: its entry in the provider table.
 */
#ifndef SMS_API_SINCH_H
#define SMS_API_SINCH_H

#include "core/provider.h"

extern const Provider sinch_provider;

/* The worker's polls (sinch_poll.c). */
extern const WorkerTask sinch_tasks[2];

#endif							/* SMS_API_SINCH_H */
