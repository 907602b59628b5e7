/*
 * shim_memory.c
 *		palloc and friends for the fuzz targets: every chunk is its own
 *		malloc (so AddressSanitizer sees one byte past a palloc'd string)
 *		and belongs to the one "current context", which the harness resets
 *		after each input as the server resets a query's context. Limits and
 *		flags behave as in mcxt.c: MaxAllocSize unless MCXT_ALLOC_HUGE,
 *		NULL for MCXT_ALLOC_NO_OOM, zeroing for MCXT_ALLOC_ZERO.
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "shim.h"

#define CHUNK_MAGIC UINT64CONST(0x736d735f66757a7a)

typedef struct Chunk
{
	struct Chunk *prev;
	struct Chunk *next;
	size_t		size;
	uint64		magic;
} Chunk;

StaticAssertDecl(sizeof(Chunk) % MAXIMUM_ALIGNOF == 0, "chunk header keeps alignment");

static Chunk ring = {&ring, &ring, 0, 0};

/* The contexts code may name; all are the one arena here. */
static MemoryContextData arena_context;
MemoryContext CurrentMemoryContext = &arena_context;
MemoryContext TopMemoryContext = &arena_context;
MemoryContext ErrorContext = &arena_context;

static Chunk *
chunk_of(void *pointer)
{
	Chunk	   *c = (Chunk *) ((char *) pointer - sizeof(Chunk));

	if (pointer == NULL || c->magic != CHUNK_MAGIC)
		shim_fail("pfree or repalloc of a pointer palloc did not return");
	return c;
}

static void *
alloc(Size size, int flags)
{
	Chunk	   *c;

	if (!((flags & MCXT_ALLOC_HUGE) ? AllocHugeSizeIsValid(size) : AllocSizeIsValid(size)))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	c = malloc(sizeof(Chunk) + size);
	if (c == NULL)
	{
		if (flags & MCXT_ALLOC_NO_OOM)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed on request of size %zu.", size)));
	}
	c->size = size;
	c->magic = CHUNK_MAGIC;
	c->next = ring.next;
	c->prev = &ring;
	ring.next->prev = c;
	ring.next = c;
	if (flags & MCXT_ALLOC_ZERO)
		memset(c + 1, 0, size);
	return c + 1;
}

void *
palloc(Size size)
{
	return alloc(size, 0);
}

void *
palloc0(Size size)
{
	return alloc(size, MCXT_ALLOC_ZERO);
}

void *
palloc_extended(Size size, int flags)
{
	return alloc(size, flags);
}

void *
MemoryContextAlloc(MemoryContext context, Size size)
{
	return alloc(size, 0);
}

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	return alloc(size, MCXT_ALLOC_ZERO);
}

void *
MemoryContextAllocExtended(MemoryContext context, Size size, int flags)
{
	return alloc(size, flags);
}

void
pfree(void *pointer)
{
	Chunk	   *c = chunk_of(pointer);

	c->prev->next = c->next;
	c->next->prev = c->prev;
	c->magic = 0;
	free(c);
}

static void *
realloc_chunk(void *pointer, Size size, bool huge)
{
	Chunk	   *c = chunk_of(pointer);
	void	   *copy;

	if (!(huge ? AllocHugeSizeIsValid(size) : AllocSizeIsValid(size)))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	copy = alloc(size, huge ? MCXT_ALLOC_HUGE : 0);
	memcpy(copy, pointer, Min(size, c->size));
	pfree(pointer);
	return copy;
}

void *
repalloc(void *pointer, Size size)
{
	return realloc_chunk(pointer, size, false);
}

void *
repalloc_huge(void *pointer, Size size)
{
	return realloc_chunk(pointer, size, true);
}

char *
MemoryContextStrdup(MemoryContext context, const char *string)
{
	return pstrdup(string);
}

char *
pstrdup(const char *in)
{
	size_t		n = strlen(in);
	char	   *out = palloc(n + 1);

	memcpy(out, in, n + 1);
	return out;
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *out;

	len = strnlen(in, len);
	out = palloc(len + 1);
	memcpy(out, in, len);
	out[len] = '\0';
	return out;
}

/* The end of a query: everything palloc'd since the last reset goes. */
void		shim_reset_memory(void);

void
shim_reset_memory(void)
{
	while (ring.next != &ring)
		pfree(ring.next + 1);
}

/*
 * Contexts a validator creates for its loop: one arena, so reset and
 * delete free nothing early; the harness reset frees it all.
 */
MemoryContext
AllocSetContextCreateInternal(MemoryContext parent, const char *name,
							  Size minContextSize, Size initBlockSize, Size maxBlockSize)
{
	return &arena_context;
}

void
MemoryContextReset(MemoryContext context)
{
}

void
MemoryContextDelete(MemoryContext context)
{
}
