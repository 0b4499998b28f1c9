/*
 * finish and summary (sweep.h): two small queries over the reporter's
 * tables and sql/002's sweeps.
 */
#include "sweep.h"

#include "jx.h"
#include "log.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int
report_finish(struct db *db, int64_t sweep)
{
	char s[32];
	const char *p[1] = {s};
	int64_t rows;

	snprintf(s, sizeof(s), "%" PRId64, sweep);
	rows = db_rows(db, "finish the sweep",
	               "UPDATE sweeps SET state = 'done', finished_at ="
	               " coalesce(finished_at, now()) WHERE id = $1",
	               1, p, 0);
	if (rows < 0)
		return -1;
	if (rows != 1) {
		log_error("no sweep %" PRId64, sweep);
		return 1;
	}
	return 0;
}

/* Figures: name and query (one bigint row); $1 is the sweep. */
static const struct {
	const char *name, *sql;
} figures[] = {
    {"results", "SELECT count(*) FROM report_results WHERE sweep_id = $1"},
    {"package", "SELECT count(*) FROM report_results WHERE sweep_id = $1"
                " AND class = 'package'"},
    {"infra", "SELECT count(*) FROM report_results WHERE sweep_id = $1"
              " AND class = 'infra'"},
    {"passed", "SELECT count(*) FROM report_results WHERE sweep_id = $1"
               " AND passed"},
    {"failed", "SELECT count(*) FROM report_results WHERE sweep_id = $1"
               " AND NOT passed"},
    {"hostile", "SELECT count(*) FROM report_results WHERE sweep_id = $1"
                " AND hostile"},
    {"quarantined",
     "SELECT count(*) FROM report_quarantine q JOIN jobs j ON j.id ="
     " q.job_id WHERE j.cell_id IN (SELECT id FROM cells WHERE sweep_id = $1)"},
    {"new_failures", "SELECT count(*) FROM report_changes WHERE sweep_id = $1"
                     " AND change = 'new_failure'"},
    {"release_regressions",
     "SELECT count(*) FROM report_changes WHERE sweep_id = $1"
     " AND change = 'new_failure' AND regression = 'release'"},
    {"dependency_regressions",
     "SELECT count(*) FROM report_changes WHERE sweep_id = $1"
     " AND change = 'new_failure' AND regression = 'dependency'"},
    {"fixed", "SELECT count(*) FROM report_changes WHERE sweep_id = $1"
              " AND change = 'fixed'"},
    {"still_failing", "SELECT count(*) FROM report_changes WHERE sweep_id ="
                      " $1 AND change = 'still_failing'"},
    {"flaky", "SELECT count(*) FROM report_changes WHERE sweep_id = $1"
              " AND change = 'flaky'"},
    {"rerun_pending", "SELECT count(*) FROM report_changes WHERE sweep_id ="
                      " $1 AND change = 'rerun_pending'"},
    {"new_hostile", "SELECT count(*) FROM report_changes WHERE sweep_id = $1"
                    " AND new_hostile"},
    {"mails_queued", "SELECT count(*) FROM report_outbox WHERE sweep_id = $1"
                     " AND state = 'queued'"},
    {"mails_sent", "SELECT count(*) FROM report_outbox WHERE sweep_id = $1"
                   " AND state = 'sent'"},
    {"mails_failed", "SELECT count(*) FROM report_outbox WHERE sweep_id = $1"
                     " AND state IN ('failed', 'uncertain')"},
};

int
report_summary(struct db *db, int64_t sweep, int json, FILE *out)
{
	char s[32];
	const char *p[1] = {s};
	json_t *o = json_object(), *outcomes = json_object();
	PGresult *r;
	size_t i;
	int k;

	snprintf(s, sizeof(s), "%" PRId64, sweep);
	jx_set(o, "sweep", json_integer(sweep));
	for (i = 0; i < sizeof(figures) / sizeof(figures[0]); i++) {
		r = db_exec(db, "count the sweep's results",
		                    figures[i].sql, 1, p, PGRES_TUPLES_OK);
		if (!r)
			goto fail;
		jx_set(o, figures[i].name,
		       json_integer(strtoll(PQgetvalue(r, 0, 0), NULL, 10)));
		PQclear(r);
	}
	r = db_exec(db, "count outcomes",
	                    "SELECT outcome, count(*) FROM report_results"
	                    " WHERE sweep_id = $1 GROUP BY 1 ORDER BY 1",
	                    1, p, PGRES_TUPLES_OK);
	if (!r)
		goto fail;
	for (k = 0; k < PQntuples(r); k++)
		jx_set(outcomes, PQgetvalue(r, k, 0),
		       json_integer(strtoll(PQgetvalue(r, k, 1), NULL, 10)));
	PQclear(r);
	if (json) {
		jx_set(o, "outcomes", outcomes);
		outcomes = NULL;
		jx_write_line(out, o);
	} else {
		const char *key;
		json_t *v;

		fprintf(out, "sweep=%" PRId64 "\n", sweep);
		for (i = 0; i < sizeof(figures) / sizeof(figures[0]); i++)
			if ((v = json_object_get(o, figures[i].name)))
				fprintf(out, "%s=%" JSON_INTEGER_FORMAT "\n",
				        figures[i].name, json_integer_value(v));
		json_object_foreach(outcomes, key, v)
			fprintf(out, "outcome.%s=%" JSON_INTEGER_FORMAT "\n",
			        key, json_integer_value(v));
	}
	json_decref(outcomes);
	json_decref(o);
	return 0;
fail:
	json_decref(outcomes);
	json_decref(o);
	return -1;
}
