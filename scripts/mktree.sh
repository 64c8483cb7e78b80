#!/bin/bash
# Unpack Debian's linux-source-6.12 into a git tree, commit it as the base,
# then apply patches/ with git am.  Fails naming the patch that does not apply.
#
# usage: mktree.sh TREE [--base-only]
set -euo pipefail

tree=$1
base_only=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)
tarball=/usr/src/linux-source-6.12.tar.xz
pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
base_subject="linux-source-6.12 $pkgver"

if [ ! -e "$tree/.git" ]; then
	echo "tree: unpacking $tarball ($pkgver) into $tree"
	rm -rf "$tree.tmp"
	mkdir -p "$tree.tmp"
	tar -C "$tree.tmp" --strip-components=1 -xf "$tarball"
	git -C "$tree.tmp" init -q -b base
	git -C "$tree.tmp" -c core.autocrlf=false add -A -f
	GIT_AUTHOR_DATE='2000-01-01T00:00:00Z' GIT_COMMITTER_DATE='2000-01-01T00:00:00Z' \
		git -C "$tree.tmp" -c user.name=linux-source -c user.email=linux-source@localhost \
		commit -q -m "$base_subject"
	git -C "$tree.tmp" tag linux-source
	mv "$tree.tmp" "$tree"
fi

recorded=$(git -C "$tree" log -1 --format=%s linux-source)
if [ "$recorded" != "$base_subject" ]; then
	echo "tree: $tree was made from '$recorded' but '$base_subject' is installed;" \
		"remove $tree to rebuild it" >&2
	exit 1
fi
echo "$pkgver" > "$tree/.linux-source-version"

[ "$base_only" = --base-only ] && exit 0

shopt -s nullglob
series=()
for p in "${PATCHES_DIR:-$top/patches}"/[0-9][0-9][0-9][0-9]-*.patch; do
	case "$p" in *0000-cover-letter.patch) continue ;; esac
	series+=("$p")
done

# Already base + exactly these patches, untouched since: keep the tree (and
# the mtimes the incremental kernel build depends on).
stamp=$(cat /dev/null "${series[@]}" | sha256sum | cut -d' ' -f1)
if [ -f "$tree/.series-applied" ] &&
	[ "$(cat "$tree/.series-applied")" = "$stamp $(git -C "$tree" rev-parse HEAD)" ] &&
	git -C "$tree" diff --quiet HEAD -- . ':!tools/testing/selftests/kvm/Makefile'; then
	echo "tree: up to date (${#series[@]} patch(es) on $base_subject)"
	exit 0
fi

# Commits made in the tree since it was last made from patches/ would be
# dropped by the reset below: ask for `make patches` first.
if [ -f "$tree/.series-applied" ] && [ -z "${FORCE:-}" ]; then
	applied_head=$(cut -d' ' -f2 "$tree/.series-applied")
	if [ "$(git -C "$tree" rev-parse HEAD)" != "$applied_head" ] &&
		[ -n "$(git -C "$tree" rev-list "$applied_head..HEAD" 2>/dev/null)" ]; then
		echo "tree: $tree has commits that are not in patches/;" \
			"run 'make patches' first, or FORCE=1 to drop them" >&2
		exit 1
	fi
fi

# Start from the base every time so the tree is exactly base + patches/.
git -C "$tree" am --abort >/dev/null 2>&1 || true
git -C "$tree" checkout -q -f -B series linux-source
for p in "${series[@]}"; do
	if ! git -C "$tree" -c user.name=mktree -c user.email=mktree@localhost \
		am -q --keep-cr "$p" >/dev/null 2>"$tree/.am-error"; then
		echo "tree: FAILED to apply $(basename "$p"):" >&2
		sed 's/^/tree:   /' "$tree/.am-error" >&2
		git -C "$tree" am --abort >/dev/null 2>&1 || true
		exit 1
	fi
done
echo "$stamp $(git -C "$tree" rev-parse HEAD)" > "$tree/.series-applied"
echo "tree: applied ${#series[@]} patch(es) on $base_subject"
