-- 007-report-lz4.sql: lz4 instead of pglz for the large values the
-- reporter reads and writes.
--
-- A results.raw document (~6 KB as jsonb) and a report_details row (a
-- result's arrays, ~3 KB) are compressed when stored (TOAST) and
-- decompressed when read. pglz compresses at a few tens of MB/s: it was a
-- large part of the server's CPU in `pyti-report load` (each cursor row
-- detoasts its raw document, each COPY of report_details compresses a row
-- per result). lz4 does both several times faster, compressing about as
-- well (docs/performance.md). Values already stored keep pglz (both
-- decompress); new ones use lz4. A server built without lz4 keeps pglz.
DO $$
BEGIN
	ALTER TABLE results ALTER COLUMN raw SET COMPRESSION lz4;
	ALTER TABLE report_details
		ALTER COLUMN task_name SET COMPRESSION lz4,
		ALTER COLUMN task_outcome SET COMPRESSION lz4,
		ALTER COLUMN task_reason SET COMPRESSION lz4,
		ALTER COLUMN task_duration_ms SET COMPRESSION lz4,
		ALTER COLUMN task_exit_status SET COMPRESSION lz4,
		ALTER COLUMN task_signal SET COMPRESSION lz4,
		ALTER COLUMN case_classname SET COMPRESSION lz4,
		ALTER COLUMN case_name SET COMPRESSION lz4,
		ALTER COLUMN case_outcome SET COMPRESSION lz4,
		ALTER COLUMN case_duration_ms SET COMPRESSION lz4,
		ALTER COLUMN case_message SET COMPRESSION lz4,
		ALTER COLUMN lint_code SET COMPRESSION lz4,
		ALTER COLUMN lint_count SET COMPRESSION lz4,
		ALTER COLUMN check_name SET COMPRESSION lz4,
		ALTER COLUMN check_ok SET COMPRESSION lz4,
		ALTER COLUMN check_detail SET COMPRESSION lz4,
		ALTER COLUMN leftover SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
	RAISE NOTICE 'lz4 is not supported by this server: pglz stays';
END
$$;
