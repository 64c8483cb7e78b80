#!/bin/bash
# Export the tree's series (linux-source..HEAD) back into patches/ with
# git format-patch, keeping the cover letter text and stable numbering.
#
# usage: export-patches.sh TREE
set -euo pipefail

tree=$(realpath "$1")
top=$(cd "$(dirname "$0")/.." && pwd)
pdir=$top/patches
pkgver=$(cat "$tree/.linux-source-version")
cover=$pdir/0000-cover-letter.patch
# The version on the list; REROLL= for none.
REROLL=${REROLL-v2}

# Keep the cover letter's subject and body; git format-patch regenerates the
# shortlog and diffstat.
subject="KVM: x86/mmu: lockless write-protect faults and dirty-log write protection"
body=""
if [ -f "$cover" ]; then
	subject=$(sed -n 's/^Subject: \[PATCH[^]]*\] //p' "$cover" | head -n 1)
	body=$(awk '/^$/ && !start { start=1; next } start && /^---$|^[A-Za-z].* \([0-9]+\):$/ { exit } start' "$cover")
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=$(git -C "$tree" rev-list --count linux-source..HEAD)
if [ "$n" = 0 ]; then
	echo "patches: the tree has no commits on top of linux-source" >&2
	exit 1
fi
# The cover letter is from the series' author, not whoever runs this.
author_name=$(git -C "$tree" log -1 --format=%an HEAD)
author_email=$(git -C "$tree" log -1 --format=%ae HEAD)
git -C "$tree" -c user.name="$author_name" -c user.email="$author_email" \
	format-patch -q --cover-letter --no-signature --zero-commit \
	--subject-prefix="PATCH${REROLL:+ $REROLL}" \
	--base=linux-source -o "$tmp" linux-source..HEAD
# format-patch's base: line names a commit id that exists only locally; name
# the package instead.
sed -i "s/^base-commit: .*/base: linux-source-6.12 $pkgver/" "$tmp/0000-cover-letter.patch"
python3 - "$tmp/0000-cover-letter.patch" "$subject" "$body" <<'PY'
import sys
path, subject, body = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
text = text.replace("*** SUBJECT HERE ***", subject)
if body.strip():
    text = text.replace("*** BLURB HERE ***\n", body.rstrip("\n") + "\n")
open(path, "w").write(text)
PY
# A blank context line is " " in a diff; git am reads an empty line the same
# way.  Empty it, so that checkpatch run on the committed .patch files (which
# it then reads as source, being git-tracked) sees no trailing whitespace.
sed -i 's/^ $//' "$tmp"/[0-9][0-9][0-9][0-9]-*.patch
rm -f "$pdir"/[0-9][0-9][0-9][0-9]-*.patch
cp "$tmp"/*.patch "$pdir/"
echo "patches: exported $n patch(es) + cover letter to patches/"
