#!/bin/sh
# t0525: a metadata file the mirror names but the store lacks (a crawl
# without --download=metadata) is unavailable to pyti-schedule, unless
# [store] fetch-missing is on: then it is fetched on demand from the
# index (common/store.h store_get(): PEP 658's file URL + .metadata),
# verified and kept in the store, and the cell resolves as after a full
# download. A metadata file the index serves with other bytes stays
# unavailable and is named; nothing unverified is stored.
. "$(dirname "$0")/../lib.sh"
need nginx
plan 7

. "$TOP/tests/helper/sched/index.sh"
sched_tree
sched_graphs
sched_serve
pyti-crawl --index "$url/simple/" --db "$TMP/db" --no-progress \
	>/dev/null 2>&1 || { echo "Bail out! crawl"; exit 1; }

S=$TMP/store
mkdir -p "$S"
sched() {
	pyti-schedule --dry-run --json --db "$TMP/db" --store "$S" \
		--platform debian-12 --package chain "$@"
}
stored() {
	find "$S" -path "$S/tmp" -prune -o -type f -print | wc -l
}

sched >"$TMP/off.jsonl" 2>"$TMP/off.err"
check_grep "without fetch-missing a missing metadata file is unavailable" \
	'"resolution":"unavailable: .*not in the store"' "$TMP/off.jsonl"
check_eq "and nothing is fetched" "$(stored)" 0

# chain_c-1.5's metadata (the one chain needs) served with other bytes: that one fails
bad=$(find "$TMP/tree/www" -name 'chain_c-1.5-*.whl.metadata' | head -n 1)
[ -n "$bad" ] || { echo "Bail out! no chain_c-1.5 metadata in the corpus"; exit 1; }
cp "$bad" "$TMP/good.metadata"
printf 'Requires-Dist: evil\n' >>"$bad"
sched --set store.fetch-missing=yes --set store.fetch-timeout=20s \
	>"$TMP/bad.jsonl" 2>"$TMP/bad.err"
check_grep "a served file with other bytes is unavailable, named" \
	'"resolution":"unavailable: chain.c 1.5: metadata file .* fetch failed: sha256 mismatch' \
	"$TMP/bad.jsonl"
check_eq "and not stored" \
	"$(find "$S" -name "$(sha256sum "$bad" | cut -c1-64)" | wc -l)" 0

cp "$TMP/good.metadata" "$bad"
sched --set store.fetch-missing=yes --set store.fetch-timeout=20s \
	>"$TMP/on.jsonl" 2>"$TMP/on.err"
check_grep "with fetch-missing the cell resolves" \
	'"project":"chain".*"resolution":"ok"' "$TMP/on.jsonl"
n=$(stored)
: >"$TMP/ngx/access.log"
sched --set store.fetch-missing=yes >"$TMP/again.jsonl" 2>&1
check_eq "the fetched files stay in the store: no request the next time" \
	"$(grep -c '' "$TMP/ngx/access.log")" 0
check "and every stored file is named by its sha256" sh -c '
	for f in $(find "'"$S"'" -path "'"$S"'/tmp" -prune -o -type f -print); do
		[ "$(sha256sum "$f" | cut -c1-64)" = "$(basename "$f")" ] || exit 1
	done; [ '"$n"' -gt 0 ]'
