#!/bin/sh
# rpm pre-uninstall scriptlet of @PACKAGE@ (rendered by packaging/build.sh).
#
#   N    versions installed after this step: 0 on erase, 1 or more on an
#        upgrade
#
# On erase the service is stopped and disabled; on an upgrade nothing
# happens here (the post-install scriptlet restarts a running service).
set -e

pkg=@PACKAGE@
unit=$pkg.service

case "$1" in
0) ;;
[0-9]*) exit 0 ;;
*)
	echo "$pkg pre-uninstall: unknown argument '$1'" >&2
	exit 1
	;;
esac

command -v systemctl >/dev/null 2>&1 || exit 0
if [ -d /run/systemd/system ]; then
	systemctl stop "$unit" || echo "$pkg: warning: could not stop $unit" >&2
fi
systemctl --no-reload disable "$unit" || echo "$pkg: warning: could not disable $unit" >&2
exit 0
