#!/bin/sh
# guest/image/recipe.sh: the shell half of pyti-image. pyti-image (C) reads
# the config, decides from the recipe hash whether anything must be built,
# and runs this script for the slow step:
#
#   recipe.sh base DIR   build DIR/base.img, DIR/vmlinuz, DIR/initrd.img
#                        from Debian's archive with mmdebstrap (~2 min)
#
# inject.sh then adds the agent (the cheap step, its own hash).
#
# Inputs come in the environment, set by pyti-image from the config:
#   PYTI_SUITE     Debian suite (bookworm)
#   PYTI_MIRROR    archive URL ([images] mirror, else the host's apt sources)
#   PYTI_PACKAGES  packages to include, space separated
#   PYTI_INIT      the guest init script to install as /usr/lib/pyti/init
#
# Nothing is mounted and nothing runs on the host as a result of what is in
# the tree; mmdebstrap needs root (or a user namespace) for its chroot.
# Every file this script reads is part of the recipe hash (pyti-image hashes
# this script, the init and the config values into the base hash).
set -eu

die() {
	echo "recipe: $*" >&2
	exit 1
}

# The canary credentials planted in the job user's home. Fake, recognisable
# values: a read of any of them is a finding, and the values themselves turn
# up in anything a package tries to send out.
plant_canaries() {
	home=$1/home/pyti
	mkdir -p "$home/.ssh" "$home/.aws" "$home/.config/discord/Local Storage" \
		"$home/.kube" "$home/.docker" "$home/.config/google-chrome/Default" \
		"$home/.gnupg"
	cat >"$home/.ssh/id_rsa" <<'EOF'
-----BEGIN OPENSSH PRIVATE KEY-----
pyti-canary-ssh-key-b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB
-----END OPENSSH PRIVATE KEY-----
EOF
	echo "ssh-ed25519 AAAApyticanary pyti@guest" >"$home/.ssh/id_rsa.pub"
	echo "ssh-ed25519 AAAApyticanary pyti@guest" >"$home/.ssh/authorized_keys"
	cat >"$home/.aws/credentials" <<'EOF'
[default]
aws_access_key_id = AKIAPYTICANARY000000
aws_secret_access_key = pyti-canary-aws-secret-0000000000000000
EOF
	cat >"$home/.pypirc" <<'EOF'
[pypi]
username = __token__
password = pypi-pyti-canary-token-00000000
EOF
	echo "machine pypi.org login pyti password pyti-canary-netrc" \
		>"$home/.netrc"
	printf '[user]\n\tname = pyti\n\temail = pyti@example.invalid\n' \
		>"$home/.gitconfig"
	echo "apiVersion: v1 # pyti-canary-kube" >"$home/.kube/config"
	echo '{"auths":{"x":{"auth":"cHl0aS1jYW5hcnk="}}}' \
		>"$home/.docker/config.json"
	echo "pyti-canary-discord-token" \
		>"$home/.config/discord/Local Storage/leveldb"
	echo "pyti-canary-browser-login" \
		>"$home/.config/google-chrome/Default/Login Data"
	: >"$home/.bashrc"
	: >"$home/.profile"
	chmod 700 "$home/.ssh" "$home/.gnupg"
	chmod 600 "$home/.ssh/id_rsa" "$home/.aws/credentials" \
		"$home/.pypirc" "$home/.netrc"
	chown -R 1000:1000 "$home"
	chmod 755 "$home"
	# The list the agent watches, one absolute path a line.
	(cd "$1" && find home/pyti -type f ! -name .bashrc ! -name .profile \
		! -name '*.pub' ! -name authorized_keys | sed 's,^,/,' | sort) \
		>"$1/usr/lib/pyti/canaries"
}

# Runs inside mmdebstrap after the packages are installed; $1 is the tree.
customize() {
	root=$1
	init=$2
	mkdir -p "$root/usr/lib/pyti" "$root/.pyti/lower" "$root/.pyti/rw" \
		"$root/.pyti/root"
	install -m 0755 "$init" "$root/usr/lib/pyti/init"

	# The job user: uid 1000, no password, no sudo.
	grep -q '^pyti:' "$root/etc/passwd" || {
		echo 'pyti:x:1000:1000:pyti job user:/home/pyti:/bin/sh' \
			>>"$root/etc/passwd"
		echo 'pyti:x:1000:' >>"$root/etc/group"
		echo 'pyti:*:19000:0:99999:7:::' >>"$root/etc/shadow"
	}
	plant_canaries "$root"

	# DNS goes to the agent's logging stub on lo; there is no NIC.
	rm -f "$root/etc/resolv.conf"
	echo "nameserver 127.0.0.1" >"$root/etc/resolv.conf"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$root/etc/hosts"
	echo pyti-guest >"$root/etc/hostname"

	# The kernel and initrd boot from outside the disk (-kernel/-initrd);
	# keep only the modules a VM with virtio devices and no NIC can use.
	kver=$(ls "$root/lib/modules" | head -n 1)
	[ -n "$kver" ] || die "no kernel modules in the tree"
	k=$root/lib/modules/$kver/kernel
	rm -rf "$k/sound" "$k/drivers/gpu" "$k/drivers/net" \
		"$k/drivers/media" "$k/drivers/infiniband" "$k/drivers/staging" \
		"$k/drivers/usb" "$k/drivers/scsi" "$k/drivers/hid" \
		"$k/drivers/input" "$k/drivers/iio" "$k/drivers/mtd" \
		"$k/drivers/bluetooth" "$k/drivers/isdn" "$k/drivers/target" \
		"$k/drivers/hwmon" "$k/drivers/video" "$k/drivers/platform" \
		"$k/drivers/nvme" "$k/drivers/ata" "$k/drivers/firewire" \
		"$k/drivers/mmc" "$k/drivers/leds" "$k/drivers/edac" \
		"$k/drivers/thunderbolt" "$k/drivers/md" "$k/net" \
		"$root/lib/firmware" "$root/usr/lib/firmware"
	chroot "$root" depmod "$kver"

	# Caches and lists that only a package manager needs.
	rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"* \
		"$root/var/cache/debconf/"*-old "$root/var/log/"*
	mkdir -p "$root/var/log"
}

# Slimming: no docs, man pages or translations in the image.
DPKG_EXCLUDES='path-exclude=/usr/share/man/*
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
path-exclude=/usr/share/lintian/*
path-exclude=/usr/share/linda/*'

build_base() {
	out=$1
	: "${PYTI_SUITE:?}" "${PYTI_MIRROR:?}" "${PYTI_PACKAGES:?}" \
		"${PYTI_INIT:?}"
	command -v mmdebstrap >/dev/null || die "needs mmdebstrap"
	command -v mke2fs >/dev/null || die "needs mke2fs (e2fsprogs)"
	[ -r "$PYTI_INIT" ] || die "cannot read init '$PYTI_INIT'"
	mkdir -p "$out"
	tree=$out/tree.tmp
	rm -rf "$tree"
	self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
	init=$(cd "$(dirname "$PYTI_INIT")" && pwd)/$(basename "$PYTI_INIT")
	include=$(echo $PYTI_PACKAGES | tr ' ' ',')
	t0=$(date +%s)
	# MODULES=list keeps the initrd small (a few MB instead of ~35): the
	# guest only needs virtio, ext4 and overlay, and a small initrd
	# decompresses in a fraction of the time under TCG.
	mmdebstrap --variant=apt --mode=root --format=directory \
		--aptopt='APT::Install-Recommends "false"' \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--dpkgopt="$DPKG_EXCLUDES" \
		--include="$include" \
		--setup-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/usr/share/initramfs-tools/modules.d"' \
		--setup-hook='printf "MODULES=list\nCOMPRESS=gzip\n" > "$1/etc/initramfs-tools/conf.d/pyti"' \
		--setup-hook='printf "%s\n" virtio_pci virtio_blk virtio_console virtio_rng crc32c_generic ext4 overlay pvpanic pvpanic_mmio pvpanic_pci > "$1/usr/share/initramfs-tools/modules.d/pyti"' \
		--customize-hook="\"$self\" customize \"\$1\" \"$init\"" \
		"$PYTI_SUITE" "$tree" "deb $PYTI_MIRROR $PYTI_SUITE main" \
		>"$out/mmdebstrap.log" 2>&1 ||
		{
			tail -n 30 "$out/mmdebstrap.log" >&2
			die "mmdebstrap failed (log: $out/mmdebstrap.log)"
		}
	t1=$(date +%s)

	vmlinuz=$(ls "$tree"/boot/vmlinuz-* 2>/dev/null | head -n 1)
	initrd=$(ls "$tree"/boot/initrd.img-* 2>/dev/null | head -n 1)
	[ -n "$vmlinuz" ] && [ -n "$initrd" ] ||
		die "no kernel or initrd in $tree/boot"
	cp "$vmlinuz" "$out/vmlinuz.tmp"
	cp "$initrd" "$out/initrd.img.tmp"
	basename "$vmlinuz" | sed 's/^vmlinuz-//' >"$out/kernel-version.tmp"
	rm -rf "$tree/boot"/* "$tree/vmlinuz"* "$tree/initrd.img"*

	# Size: the tree plus a quarter and 64 MiB; the root is read-only in
	# the guest, so the slack only has to make mke2fs fit.
	kib=$(du -sk "$tree" | cut -f1)
	size=$((kib + kib / 4 + 65536))
	rm -f "$out/base.img.tmp"
	mke2fs -q -t ext4 -O ^has_journal -m 0 -i 8192 -L pyti-root \
		-E root_owner=0:0 -d "$tree" "$out/base.img.tmp" "${size}k" ||
		die "mke2fs failed"
	t2=$(date +%s)
	rm -rf "$tree"
	mv "$out/vmlinuz.tmp" "$out/vmlinuz"
	mv "$out/initrd.img.tmp" "$out/initrd.img"
	mv "$out/kernel-version.tmp" "$out/kernel-version"
	mv "$out/base.img.tmp" "$out/base.img"
	echo "recipe: base built: mmdebstrap $((t1 - t0)) s, image $((t2 - t1)) s, tree $((kib / 1024)) MiB" >&2
}

case ${1:-} in
base) build_base "${2:?usage: recipe.sh base DIR}" ;;
customize) customize "${2:?}" "${3:?}" ;;
*) die "usage: recipe.sh base DIR" ;;
esac
