# tests/helper/store.sh: sourced (after tests/lib.sh) by the tests that put
# files into a store of their own as the crawler would ($TMP/store, in
# common/cas.h's layout: STORE/<sha256[0:2]>/<sha256>), and name them in
# job specs.
#
#	SHA=$(store_put FILE)          # FILE into the store; its sha256
#	DIST=$(store_dist FILE)        # the same; the spec's "dist" entry
#	SPEC=$(store_spec FILE)        # a job of FILE's four tasks, no deps

# store_put FILE: FILE into $TMP/store under its sha256, which it prints.
store_put() {
	_sha=$(sha256sum "$1" | cut -d' ' -f1)
	mkdir -p "$TMP/store/$(echo "$_sha" | cut -c1-2)"
	cp "$1" "$TMP/store/$(echo "$_sha" | cut -c1-2)/$_sha"
	echo "$_sha"
}

# store_dist FILE: store_put, then print FILE's dist entry of a job spec
# ({"name", "size", "sha256"}; the name is FILE's base name).
store_dist() {
	_sha=$(store_put "$1") || return 1
	printf '{"name":"%s","size":%s,"sha256":"%s"}' \
		"$(basename "$1")" "$(stat -c %s "$1")" "$_sha"
}

# store_spec FILE: store_dist, then print the spec of a job that unpacks,
# builds, installs and imports FILE without dependencies.
store_spec() {
	printf '{"dist":%s,"deps":[],"tasks":["unpack","build","install","import"]}' \
		"$(store_dist "$1")"
}
