/*
 * rawloop.c
 *		The libcurl ceiling for sms_api's benchmarks: one reused easy handle,
 *		sequential POSTs of body files to one URL, with the headers sms_api
 *		sends (username, authenticationtoken, Accept, Content-Type, no
 *		Expect). Prints the requests per second and the total time.
 *
 *	usage: rawloop [-w WARMUP] URL COUNT USERNAME TOKEN BODYFILE [BODYFILE ...]
 *
 * With several body files, request i posts file i % nfiles, so COUNT = 100
 * with 100 files posts each once. WARMUP requests (default 0) go first,
 * untimed, over the same connection. Every answer must be 2xx; the answer is
 * read into memory (as sms_api does) and its bytes are counted.
 *
 * Built by bench/run.py: cc -O2 -Wall -Wextra -o rawloop rawloop.c -lcurl
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

typedef struct Body
{
	char	   *data;
	size_t		len;
} Body;

typedef struct Answer
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Answer;

static size_t
collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	Answer	   *a = (Answer *) userdata;
	size_t		n = size * nmemb;

	if (a->len + n + 1 > a->cap)
	{
		size_t		cap = a->cap ? a->cap : 4096;
		char	   *p;

		while (cap < a->len + n + 1)
			cap *= 2;
		p = realloc(a->data, cap);
		if (p == NULL)
			return 0;
		a->data = p;
		a->cap = cap;
	}
	memcpy(a->data + a->len, ptr, n);
	a->len += n;
	a->data[a->len] = '\0';
	return n;
}

static int
read_file(const char *path, Body *b)
{
	FILE	   *f = fopen(path, "rb");
	long		size;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
		fseek(f, 0, SEEK_SET) != 0)
	{
		perror(path);
		if (f)
			fclose(f);
		return -1;
	}
	b->len = (size_t) size;
	b->data = malloc(b->len + 1);
	if (b->data == NULL || fread(b->data, 1, b->len, f) != b->len)
	{
		perror(path);
		fclose(f);
		return -1;
	}
	b->data[b->len] = '\0';
	fclose(f);
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct curl_slist *
header(struct curl_slist *list, const char *name, const char *value)
{
	char		line[8192];
	struct curl_slist *l;

	snprintf(line, sizeof(line), "%s: %s", name, value);
	l = curl_slist_append(list, line);
	if (l == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	return l;
}

/* One POST; 0 when it was answered 2xx. */
static int
post(CURL *easy, const Body *b, Answer *answer, long i)
{
	CURLcode	rc;
	long		status = 0;

	answer->len = 0;
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, b->data);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) b->len);
	rc = curl_easy_perform(easy);
	if (rc != CURLE_OK)
	{
		fprintf(stderr, "request %ld failed: %s\n", i + 1, curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299)
	{
		fprintf(stderr, "request %ld answered HTTP %ld: %.200s\n", i + 1, status,
				answer->data ? answer->data : "");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *url;
	long		count;
	long		warmup = 0;
	int			opt;
	int			nbodies;
	Body	   *bodies;
	Answer		answer = {NULL, 0, 0};
	CURL	   *easy;
	struct curl_slist *headers = NULL;
	double		start;
	double		elapsed;
	unsigned long long answered = 0;

	while ((opt = getopt(argc, argv, "w:")) != -1)
	{
		if (opt == 'w')
			warmup = strtol(optarg, NULL, 10);
		else
			goto usage;
	}
	argc -= optind;
	argv += optind;
	if (argc < 5)
		goto usage;
	url = argv[0];
	count = strtol(argv[1], NULL, 10);
	if (count <= 0 || warmup < 0)
	{
		fprintf(stderr, "COUNT must be positive and WARMUP not negative\n");
		return 2;
	}
	nbodies = argc - 4;
	bodies = calloc(nbodies, sizeof(Body));
	if (bodies == NULL)
		return 1;
	for (int i = 0; i < nbodies; i++)
		if (read_file(argv[4 + i], &bodies[i]) != 0)
			return 1;

	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK || (easy = curl_easy_init()) == NULL)
	{
		fprintf(stderr, "could not initialize libcurl\n");
		return 1;
	}
	headers = header(headers, "username", argv[2]);
	headers = header(headers, "authenticationtoken", argv[3]);
	headers = header(headers, "Accept", "application/json");
	headers = header(headers, "Content-Type", "application/json; charset=utf-8");
	headers = curl_slist_append(headers, "Expect:");

	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "sms_api-bench-rawloop");
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, &answer);
	curl_easy_setopt(easy, CURLOPT_POST, 1L);

	for (long i = 0; i < warmup; i++)
		if (post(easy, &bodies[i % nbodies], &answer, i) != 0)
			return 1;
	start = now_s();
	for (long i = 0; i < count; i++)
	{
		if (post(easy, &bodies[i % nbodies], &answer, i) != 0)
			return 1;
		answered += answer.len;
	}
	elapsed = now_s() - start;

	printf("requests %ld seconds %.6f requests_per_second %.1f answer_bytes %llu\n",
		   count, elapsed, count / elapsed, answered);

	curl_slist_free_all(headers);
	curl_easy_cleanup(easy);
	curl_global_cleanup();
	free(answer.data);
	for (int i = 0; i < nbodies; i++)
		free(bodies[i].data);
	free(bodies);
	return 0;

usage:
	fprintf(stderr, "usage: rawloop [-w WARMUP] URL COUNT USERNAME TOKEN BODYFILE [BODYFILE ...]\n");
	return 2;
}
