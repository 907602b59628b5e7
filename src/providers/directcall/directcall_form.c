/*
 * directcall_form.c
 *		The multipart/form-data request of one POST /sms/send: the caller
 *		number, the destinations as a CSV file part (destino_csv, one number
 *		a line), the text, MP3 file part or audio id, the kind, the schedule
 *		("cron", d-m-Y-H-i-s in sms_api.directcall_time_zone), the daily
 *		hour window, and format=json. The access token is added by the
 *		target for each attempt.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "pgtime.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "providers/directcall/directcall.h"

/* origem, destino_csv, texto|audio|audio_id, tipo, cron, enviar_de, enviar_ate, format */
#define MAX_PARTS 8

static HttpFormPart *
add(HttpFormPart *form, int *n, const char *name, const char *data, size_t len)
{
	HttpFormPart *f = &form[(*n)++];

	Assert(*n <= MAX_PARTS);
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->data = data;
	f->len = len;
	return f;
}

static void
add_text(HttpFormPart *form, int *n, const char *name, const char *value)
{
	add(form, n, name, value, strlen(value));
}

/* The schedule as the API reads it: local time in directcall_time_zone. */
static char *
cron_text(TimestampTz t)
{
	pg_tz	   *tz = pg_tzset(directcall_time_zone);
	struct pg_tm tm;
	fsec_t		fsec;
	int			offset;

	if (tz == NULL || timestamp2tm(t, &offset, &tm, &fsec, NULL, tz) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("scheduled_at cannot be written in sms_api.directcall_time_zone")));
	return psprintf("%02d-%02d-%04d-%02d-%02d-%02d", tm.tm_mday, tm.tm_mon, tm.tm_year,
					tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void
directcall_build_call(const DirectcallSend *s, ApiCall *call)
{
	HttpFormPart *form = palloc(MAX_PARTS * sizeof(HttpFormPart));
	int			n = 0;
	StringInfoData csv;
	HttpFormPart *f;

	initStringInfo(&csv);
	for (int i = 0; i < s->ndestinations; i++)
	{
		appendStringInfoString(&csv, s->destinations[i]);
		appendStringInfoChar(&csv, '\n');
	}
	add_text(form, &n, "origem", s->origin);
	f = add(form, &n, "destino_csv", csv.data, csv.len);
	f->filename = "destinos.csv";
	f->type = "text/csv";
	if (s->text != NULL)
		add_text(form, &n, "texto", s->text);
	else if (s->audio != NULL)
	{
		f = add(form, &n, "audio", s->audio, s->audio_len);
		f->filename = "audio.mp3";
		f->type = "audio/mpeg";
	}
	else
		add_text(form, &n, "audio_id", s->audio_id);
	add_text(form, &n, "tipo", s->kind);
	if (s->has_cron)
		add_text(form, &n, "cron", cron_text(s->cron));
	if (s->send_from_hour >= 0)
		add_text(form, &n, "enviar_de", psprintf("%d", s->send_from_hour));
	if (s->send_until_hour >= 0)
		add_text(form, &n, "enviar_ate", psprintf("%d", s->send_until_hour));
	add_text(form, &n, "format", "json");

	memset(call, 0, sizeof(*call));
	call->target = &directcall_target;
	call->method = "POST";
	call->path = "/sms/send";
	call->form = form;
	call->nform = n;
}
