/* Unit tests for the runner's artifact frame (runner/job.c): a build
 * stage's wheel handed back in one ARTF frame is hashed by the host and
 * stored atomically under its sha256; what is not a wheel of the job's
 * own project is refused and recorded, never stored; a second ARTF, an
 * ARTF from a job that is not a build stage, or one past the job's byte
 * budget is a protocol error. The guest is this binary run again with
 * --guest MODE by the chan executor: the job goes through the same code a
 * VM's channel goes through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cas.h"
#include "chan.h"
#include "job.h"
#include "jx.h"
#include "log.h"
#include "os.h"
#include "sha256.h"
#include "tmpstore.h"

static char self[4096];
static char store[] = "/tmp/test_run_artifact.XXXXXX";
static const char sdist[] = "not really an sdist";
static char sdist_sha[SHA256_HEX_LEN + 1];
static const char wheel[] = "PK\003\004 a wheel's bytes";

/* ---- the guest: this binary with --guest MODE ---- */

static int
guest_send_artifact(struct chan *c, const char *name, size_t len)
{
	static char big[4096];
	const char *data = len <= sizeof(wheel) - 1 ? wheel : big;

	if (len <= sizeof(wheel) - 1)
		len = sizeof(wheel) - 1;
	return chan_write_blob(c, CHAN_ARTF, name, 0, data, len, 5000);
}

static int
guest(const char *mode)
{
	struct chan c;
	struct chan_frame f = CHAN_FRAME_INIT;
	json_t *j = NULL;
	char id[80] = "", *text;
	int ret = 1;

	chan_init(&c, 0, CHAN_FROM_HOST);
	for (;;) {
		if (chan_read(&c, &f, 10000) != 0)
			goto out;
		if (f.type == CHAN_HELO) {
			json_t *h =
			    jx_parse(f.payload.data, f.payload.len, "hello");
			json_t *r = json_pack("{s:i,s:s,s:s,s:s}", "version",
			                      CHAN_VERSION, "nonce",
			                      jx_str(h, "nonce"), "platform",
			                      "debian-12", "python", "3.11");

			text = jx_dumps(r);
			chan_write(&c, CHAN_HELO, text, strlen(text), 5000);
			free(text);
			json_decref(r);
			json_decref(h);
		} else if (f.type == CHAN_JOB) {
			j = jx_parse(f.payload.data, f.payload.len, "job");
			snprintf(id, sizeof(id), "%s", jx_str(j, "job_id"));
		} else if (f.type == CHAN_END) {
			break;
		}
	}
	if (!strcmp(mode, "good") || !strcmp(mode, "two"))
		guest_send_artifact(&c, "foo-1.0-py3-none-any.whl", 0);
	if (!strcmp(mode, "two"))
		guest_send_artifact(&c, "foo-1.0-py3-none-any.whl", 0);
	if (!strcmp(mode, "other"))
		guest_send_artifact(&c, "bar-1.0-py3-none-any.whl", 0);
	if (!strcmp(mode, "notwheel"))
		guest_send_artifact(&c, "foo-1.0.tar.gz", 0);
	if (!strcmp(mode, "big")) {
		/* then stay, as a VM would: a guest gone is vm-died */
		guest_send_artifact(&c, "foo-1.0-py3-none-any.whl", 4096);
		sleep(10);
	}
	{
		json_t *r = json_pack("{s:i,s:s,s:s}", "schema_version", 1,
		                      "job_id", id, "outcome", "passed");

		text = jx_dumps(r);
		chan_write(&c, CHAN_RSLT, text, strlen(text), 5000);
		free(text);
		json_decref(r);
	}
	chan_write(&c, CHAN_DONE, "{\"logs\":0}", 10, 5000);
	ret = 0;
out:
	chan_frame_release(&f);
	json_decref(j);
	return ret;
}

/* ---- the host ---- */

/* Run one job whose guest plays mode; spec_extra is added to the spec. */
static void
run(const char *mode, const char *spec_extra, uint64_t max_in,
    struct run_outcome *o)
{
	struct run_executor x;
	struct run_limits lim;
	char cmd[4200], spec[1024];

	snprintf(cmd, sizeof(cmd), "exec '%s' --guest %s", self, mode);
	snprintf(spec, sizeof(spec),
	         "{\"project\":\"Foo\",%s\"dist\":{\"name\":\"foo-1.0.tar.gz\","
	         "\"size\":%zu,\"sha256\":\"%s\"},\"deps\":[]}",
	         spec_extra, sizeof(sdist) - 1, sdist_sha);
	memset(&x, 0, sizeof(x));
	x.platform = "debian-12";
	x.exec_cmd = cmd;
	x.chan = 1;
	memset(&lim, 0, sizeof(lim));
	lim.timeout_ms = 20000;
	lim.silence_ms = 10000;
	lim.hello_ms = 10000;
	lim.max_in = max_in;
	lim.store = store;
	assert_int_equal(run_job_run(&x, &lim, 7, 1, spec, NULL, NULL, o), 0);
}

static const char *
artifact_str(const struct run_outcome *o, const char *key)
{
	return jx_str(json_object_get(o->raw, "artifact"), key);
}

static void
test_run_artifact_stored_under_its_sha256(void **state)
{
	struct run_outcome o;
	struct buf path = BUF_INIT(0), got = BUF_INIT(1 << 20);
	char hex[SHA256_HEX_LEN + 1];
	int64_t size = 0;

	run("good", "\"stage\":\"build\",", 1 << 20, &o);
	assert_string_equal(o.cls, "package");
	assert_string_equal(o.outcome, "passed");
	sha256_hex(wheel, sizeof(wheel) - 1, hex);
	assert_string_equal(artifact_str(&o, "name"),
	                    "foo-1.0-py3-none-any.whl");
	assert_string_equal(artifact_str(&o, "sha256"), hex);
	assert_null(artifact_str(&o, "error"));
	assert_int_equal(
	    jx_int(json_object_get(o.raw, "artifact"), "size", &size), 0);
	assert_int_equal(size, sizeof(wheel) - 1);
	/* in the raw document's text too, for the spool and the database */
	assert_non_null(strstr(o.raw_text, "\"artifact\":{"));
	cas_path(store, hex, &path);
	assert_int_equal(os_read_file(buf_cstr(&path), &got), 0);
	assert_int_equal(got.len, sizeof(wheel) - 1);
	assert_memory_equal(got.data, wheel, got.len);
	run_outcome_release(&o);

	/* the same wheel again: the file already there is kept */
	run("good", "\"stage\":\"build\",", 1 << 20, &o);
	assert_string_equal(artifact_str(&o, "sha256"), hex);
	run_outcome_release(&o);
	buf_release(&path);
	buf_release(&got);
}

static void
test_run_artifact_of_another_project_refused(void **state)
{
	struct run_outcome o;
	struct buf path = BUF_INIT(0);
	char hex[SHA256_HEX_LEN + 1];
	const char *e;

	sha256_hex(wheel, sizeof(wheel) - 1, hex);
	cas_path(store, hex, &path);
	unlink(buf_cstr(&path));
	run("other", "\"stage\":\"build\",", 1 << 20, &o);
	/* the package outcome stands: only the artifact is refused */
	assert_string_equal(o.cls, "package");
	assert_string_equal(artifact_str(&o, "name"),
	                    "bar-1.0-py3-none-any.whl");
	assert_null(artifact_str(&o, "sha256"));
	e = artifact_str(&o, "error");
	assert_non_null(e);
	assert_non_null(strstr(e, "not of the job's project 'foo'"));
	assert_int_not_equal(access(buf_cstr(&path), F_OK), 0);
	run_outcome_release(&o);

	run("notwheel", "\"stage\":\"build\",", 1 << 20, &o);
	assert_string_equal(o.cls, "package");
	e = artifact_str(&o, "error");
	assert_non_null(e);
	assert_non_null(strstr(e, "not a wheel filename"));
	assert_int_not_equal(access(buf_cstr(&path), F_OK), 0);
	run_outcome_release(&o);
	buf_release(&path);
}

/* run() that must end as an infra protocol-error, whose runner's
 * infra_detail contains detail (unless NULL). */
static void
run_protocol_error(const char *mode, const char *spec_extra, uint64_t max_in,
                   const char *detail, struct run_outcome *o)
{
	run(mode, spec_extra, max_in, o);
	assert_string_equal(o->cls, "infra");
	assert_string_equal(o->outcome, "protocol-error");
	if (detail)
		assert_non_null(strstr(
		    jx_str(json_object_get(o->raw, "runner"), "infra_detail"),
		    detail));
}

static void
test_run_artifact_protocol_errors(void **state)
{
	struct run_outcome o;

	run_protocol_error("two", "\"stage\":\"build\",", 1 << 20,
	                   "two ARTF frames", &o);
	run_outcome_release(&o);

	/* a job that is not a build stage has no artifact to send */
	run_protocol_error("good", "", 1 << 20, "not a build stage", &o);
	assert_null(json_object_get(o.raw, "artifact"));
	run_outcome_release(&o);

	/* the artifact counts in the job's byte budget */
	run_protocol_error("big", "\"stage\":\"build\",", 2048, NULL, &o);
	run_outcome_release(&o);
}

static void
test_run_artifact_none_sent(void **state)
{
	struct run_outcome o;

	run("none", "\"stage\":\"build\",", 1 << 20, &o);
	assert_string_equal(o.cls, "package");
	assert_null(json_object_get(o.raw, "artifact"));
	run_outcome_release(&o);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_artifact_stored_under_its_sha256),
	    cmocka_unit_test(test_run_artifact_of_another_project_refused),
	    cmocka_unit_test(test_run_artifact_protocol_errors),
	    cmocka_unit_test(test_run_artifact_none_sent),
	};
	int ret;

	if (argc == 3 && !strcmp(argv[1], "--guest"))
		return guest(argv[2]);
	signal(SIGPIPE, SIG_IGN);
	log_set_prog("test_run_artifact");
	log_set_level(LOG_ERROR + (getenv("V") ? 3 : 0));
	if (!realpath(argv[0], self) || !mkdtemp(store))
		return 1;
	sha256_hex(sdist, sizeof(sdist) - 1, sdist_sha);
	if (tmpstore_put(store, sdist_sha, sdist, sizeof(sdist) - 1))
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	if (tmpstore_remove(store))
		ret = 1;
	return ret;
}
