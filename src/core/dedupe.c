/*
 * dedupe.c
 *		Idempotent queueing: the outbox row a dedupe_key already has, in any
 *		state, committed or still being written by another transaction.
 *
 *		sms_queue() writes its rows at statement end (outbox.c), so between
 *		the call and that write the key is in no index where another session
 *		could see it. A lock on the key covers that window: it is taken before
 *		looking, held while the row waits to be written, and let go once the
 *		row is in the unique index outbox_dedupe_key, whose entry then does
 *		the same job (a session that finds it uncommitted waits for its
 *		transaction, as a unique insert would). So a transaction holds at
 *		most DEDUPE_FLUSH_AT of these locks, however many keys it queues.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "common/hashfn.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include "core/compat.h"
#include "core/dedupe.h"

/*
 * Our keys' locks are advisory locks of a class of their own (field 4): the
 * application's pg_advisory_lock() keys use 1 and 2, so they never meet.
 */
#define DEDUPE_LOCK_CLASS 0x534D

/* A buffered row's key: found here before it is in the index. */
typedef struct BufferedKey
{
	uint64		hash;			/* the hash table's key */
	int64		id;
	const char *key;			/* in the rows' memory */
	int			len;
	struct BufferedKey *next;	/* another key of the same hash */
} BufferedKey;

static HTAB *buffered = NULL;	/* in the caller's row memory */

/* The outbox and its dedupe index, looked up once per transaction. */
static LocalTransactionId looked_up_in = InvalidLocalTransactionId;
static Oid	outbox_oid;
static Oid	dedupe_index_oid;

static void
look_up_relations(void)
{
	Oid			ns;

	if (looked_up_in == sms_api_local_xid())
		return;
	ns = get_namespace_oid("sms_api", false);
	outbox_oid = get_relname_relid("outbox", ns);
	dedupe_index_oid = get_relname_relid("outbox_dedupe_key", ns);
	if (!OidIsValid(outbox_oid) || !OidIsValid(dedupe_index_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("index sms_api.outbox_dedupe_key does not exist")));
	looked_up_in = sms_api_local_xid();
}

static uint64
key_hash(const char *key, int len)
{
	return hash_bytes_extended((const unsigned char *) key, len, 0);
}

static void
key_locktag(LOCKTAG *tag, uint64 hash)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, (uint32) (hash >> 32), (uint32) hash,
						 DEDUPE_LOCK_CLASS);
}

/*
 * Owned by the transaction, not by the statement's portal: it is let go
 * by a later statement's write, or by the end of the transaction.
 */
static void
lock_key(uint64 hash)
{
	LOCKTAG		tag;
	ResourceOwner save = CurrentResourceOwner;

	key_locktag(&tag, hash);
	CurrentResourceOwner = TopTransactionResourceOwner;
	PG_TRY();
	{
		(void) LockAcquire(&tag, ExclusiveLock, false, false);
	}
	PG_CATCH();
	{
		CurrentResourceOwner = save;
		PG_RE_THROW();
	}
	PG_END_TRY();
	CurrentResourceOwner = save;
}

void
dedupe_unlock(const char *key, int len)
{
	LOCKTAG		tag;
	ResourceOwner save = CurrentResourceOwner;

	key_locktag(&tag, key_hash(key, len));
	CurrentResourceOwner = TopTransactionResourceOwner;
	(void) LockRelease(&tag, ExclusiveLock, false);
	CurrentResourceOwner = save;
}

static BufferedKey *
find_buffered(const char *key, int len, uint64 hash)
{
	BufferedKey *b;

	if (buffered == NULL)
		return NULL;
	for (b = hash_search(buffered, &hash, HASH_FIND, NULL); b != NULL; b = b->next)
		if (b->len == len && memcmp(b->key, key, len) == 0)
			return b;
	return NULL;
}

/*
 * The committed, or our own, outbox row with this key, waiting for a
 * transaction that is writing one; false when there is none. A row some
 * transaction is updating or deleting still counts: it has its id now (an
 * update, by the worker, keeps it; a prune racing this call goes after).
 */
static bool
find_written(const char *key, int len, int64 *id)
{
	Relation	heap = table_open(outbox_oid, AccessShareLock);
	Relation	index = index_open(dedupe_index_oid, AccessShareLock);
	TupleTableSlot *slot = table_slot_create(heap, NULL);
	Datum		key_datum = PointerGetDatum(cstring_to_text_with_len(key, len));
	bool		found = false;

	for (;;)
	{
		SnapshotData dirty;
		ScanKeyData skey;
		IndexScanDesc scan;
		TransactionId writer = InvalidTransactionId;
		ItemPointerData tid;
		bool		isnull;

		ItemPointerSetInvalid(&tid);
		InitDirtySnapshot(dirty);
		ScanKeyEntryInitialize(&skey, 0, 1, BTEqualStrategyNumber, InvalidOid,
							   index->rd_indcollation[0], F_TEXTEQ, key_datum);
		scan = index_beginscan(heap, index, &dirty, 1, 0);
		index_rescan(scan, &skey, 1, NULL, 0);
		while (index_getnext_slot(scan, ForwardScanDirection, slot))
		{
			if (TransactionIdIsValid(dirty.xmin))
			{
				writer = dirty.xmin;
				tid = slot->tts_tid;
				break;
			}
			*id = DatumGetInt64(slot_getattr(slot, 1, &isnull));
			found = true;
			break;
		}
		index_endscan(scan);
		if (!TransactionIdIsValid(writer))
			break;
		/* another transaction is writing this key: its outcome decides */
		XactLockTableWait(writer, heap, &tid, XLTW_InsertIndexUnique);
		CHECK_FOR_INTERRUPTS();
	}
	ExecDropSingleTupleTableSlot(slot);
	/* their locks stay until the transaction ends: the next key's lookup finds them held */
	index_close(index, NoLock);
	table_close(heap, NoLock);
	return found;
}

bool
dedupe_find(const char *key, int len, int64 *id)
{
	uint64		hash = key_hash(key, len);
	BufferedKey *b = find_buffered(key, len, hash);

	if (b != NULL)
	{
		*id = b->id;
		return true;
	}
	look_up_relations();
	lock_key(hash);
	if (find_written(key, len, id))
	{
		dedupe_unlock(key, len);
		return true;
	}
	return false;
}

void
dedupe_buffer(const char *key, int len, int64 id, MemoryContext rows_cxt)
{
	uint64		hash = key_hash(key, len);
	BufferedKey *head;
	BufferedKey *b;
	bool		exists;

	if (buffered == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(uint64);
		ctl.entrysize = sizeof(BufferedKey);
		ctl.hcxt = rows_cxt;
		buffered = hash_create("sms_api buffered dedupe keys", DEDUPE_FLUSH_AT, &ctl,
							   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	head = hash_search(buffered, &hash, HASH_ENTER, &exists);
	if (!exists)
		b = head;
	else
	{
		/* two keys of one 64-bit hash: chained behind the first */
		b = MemoryContextAlloc(rows_cxt, sizeof(BufferedKey));
		b->next = head->next;
		head->next = b;
	}
	b->hash = hash;
	b->id = id;
	b->key = key;
	b->len = len;
	if (!exists)
		b->next = NULL;
}

void
dedupe_forget_buffered(void)
{
	/* its memory is the rows', freed with them */
	buffered = NULL;
}
