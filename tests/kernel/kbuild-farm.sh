# SPDX-License-Identifier: GPL-2.0
# Sourced by the real-kernel tests: build objects of the harness's prepared
# kernel tree without ever writing into it.
#
# The prepared tree (scripts/splice-vm path source) is shared by every test and
# by splice-create, and must stay pristine.  We build in a hardlink farm
# (cp -al), which is only safe if nothing writes *through* a link:
#  - gcc/as/ld unlink their outputs first (bfd does), but cc1 -S output, the
#    .cmd/.d files kbuild writes with shell redirections, and tools' dep files
#    are truncated in place;
#  - KCFLAGS and the farm's own path change the command lines of prepare-time
#    outputs (asm-offsets.s, bounds.s, objtool, scripts/mod), so kbuild
#    rewrites those.
# So every file that preparation produced (everything newer than the top
# Makefile, which comes from the tarball) is copied, not linked; sources stay
# links.  farm_check then proves the tree was not touched.

# farm_create TREE FARM: make FARM a build copy of TREE; sets FARM_STAMP.
farm_create() {
	local tree=$1 farm=$2
	FARM_TREE=$tree
	FARM_STAMP=$farm.stamp
	rm -rf "$farm" && touch "$FARM_STAMP" || return 1
	# make sure later writes get a strictly newer mtime than the stamp
	sleep 1
	cp -al "$tree" "$farm" || return 1
	(cd "$tree" && find . -type f -newer Makefile -print0) >"$farm.gen" || return 1
	(cd "$farm" && xargs -0 rm -f -- <"$farm.gen") || return 1
	(cd "$tree" && cpio -0pdm --quiet "$farm" <"$farm.gen") || return 1
	rm -f "$farm.gen"
}

# farm_own FARM FILE...: give FILE (relative) its own inode before editing it.
farm_own() {
	local farm=$1 f
	shift
	for f in "$@"; do
		cp -p "$farm/$f" "$farm/$f.own" && mv -f "$farm/$f.own" "$farm/$f" || return 1
	done
}

# farm_check: fail if anything in the prepared tree changed since farm_create.
farm_check() {
	local changed
	changed=$(find "$FARM_TREE" -newer "$FARM_STAMP" -print 2>/dev/null | head -n 20)
	if [ -n "$changed" ]; then
		echo "error: the prepared tree $FARM_TREE was modified:" >&2
		echo "$changed" >&2
		return 1
	fi
	return 0
}
