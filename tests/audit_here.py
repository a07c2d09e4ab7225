"""The audit events the current transaction wrote, for tests that read back their own decisions."""

# The visible rows whose writer is still in progress are this transaction's own. An event's txid
# is its stream position, the transaction's id only for its first call (docs/events.md), so
# `txid = pg_current_xact_id()` misses the later calls' events whenever another writer ran between.
WRITTEN_HERE = ("pg_xact_status(((pg_current_xact_id()::text::bigint >> 32 << 32) | xmin::text::bigint)::text::xid8)"
                " = 'in progress'")
