-- bench/report-results.sql: :n synthetic results rows shaped like the
-- agent's (6 tasks, 40 test cases, 2 findings, 2 lint codes, 2 metadata
-- checks, a leftover: a 5.9 KB document; every fourth one failing with a
-- traceback log), job ids 1..:n, for bench/report-bench and
-- bench/report-load-ab:  psql -v n=20000 -f bench/report-results.sql
insert into jobs (id, state, platform, python, spec)
 select g, 'done', 'debian-12', '3.11',
  jsonb_build_object('project', 'p' || g, 'dist_version', '1.0')
 from generate_series(1, :n) g;
insert into results (job_id, fence, attempt, runner, class, outcome, raw)
 select g, 1, 1, 'r', 'package',
  CASE WHEN g % 4 = 0 THEN 'tests_failed' ELSE 'passed' END,
  jsonb_build_object('runner', '{}'::jsonb,
   'logs', CASE WHEN g % 4 = 0 THEN jsonb_build_object('tests.log',
     jsonb_build_object('text', repeat('collected 40 items' || chr(10), 50)
      || 'Traceback (most recent call last):' || chr(10)
      || '  File "/v/lib/python3.11/site-packages/p/x.py", line '
      || g || ', in f' || chr(10) || 'ValueError: bad ' || g))
     ELSE '{}'::jsonb END,
   'result', jsonb_build_object('outcome', 'passed', 'hostile', false,
   'tasks', (select jsonb_agg(jsonb_build_object('name', t, 'outcome',
     CASE WHEN t = 'tests' AND g % 4 = 0 THEN 'failed' ELSE 'ok' END,
     'duration_ms', 100, 'exit_status', 0))
    from unnest(array['unpack','build','install','import','tests','lint']) t),
   'findings', jsonb_build_array(
     jsonb_build_object('kind', 'process.exec', 'severity', 'warning',
      'task', 'build', 'detail', 'exec /usr/bin/gcc',
      'evidence', jsonb_build_object('argv', jsonb_build_array('gcc', '-c'))),
     jsonb_build_object('kind', 'network.listen', 'severity', 'warning',
      'task', 'tests', 'detail', 'bind 127.0.0.1:8080')),
   'tests', jsonb_build_object('totals', jsonb_build_object('tests', 40,
     'passed', 39, 'failed', 1, 'errors', 0, 'skipped', 0,
     'duration_ms', 1234),
    'cases', (select jsonb_agg(jsonb_build_object('classname',
      'tests.test_mod' || (i % 5), 'name', 'test_case_' || i, 'outcome',
      CASE WHEN i = 40 THEN 'failed' ELSE 'passed' END, 'duration_ms', i,
      'message', CASE WHEN i = 40 THEN 'AssertionError: assert 1 == 2' END))
     from generate_series(1, 40) i)),
   'coverage', jsonb_build_object('percent', 81.5, 'lines', 900,
    'covered', 733),
   'lint', jsonb_build_object('lines', 900, 'pycodestyle', 12,
    'pyflakes', 1, 'pycodestyle_per_kloc', 13.3, 'pyflakes_per_kloc', 1.1,
    'codes', jsonb_build_object('E501', 9, 'W291', 3)),
   'metadata', jsonb_build_object('score', 7, 'max_score', 9,
    'checks', jsonb_build_array(jsonb_build_object('name', 'summary',
     'ok', true), jsonb_build_object('name', 'license', 'ok', false))),
   'uninstall', jsonb_build_object('exit_status', 0,
    'leftovers', jsonb_build_array('/v/lib/p/x.pyc'))))
 from generate_series(1, :n) g;
