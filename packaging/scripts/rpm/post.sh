#!/bin/sh
# rpm post-install scriptlet of @PACKAGE@. packaging/build.sh renders it for each package,
# replacing @PACKAGE@ with the package's name.
#
#   N    versions installed after this step: 1 on a first install, 2 or
#        more on an upgrade
#
# Creates the system user (sysusers.d) and its directories (tmpfiles.d)
# from the files the package ships. On a first install it enables the
# service without starting it: its settings in /etc/memledger come first.
# On an upgrade it restarts the service only if it is running and never
# touches whether it is enabled.
set -e

pkg=@PACKAGE@
unit=$pkg.service

case "$1" in
[0-9]*) ;;
*)
	echo "$pkg post-install: unknown argument '$1'" >&2
	exit 1
	;;
esac

systemd-sysusers "$pkg.conf"
systemd-tmpfiles --create "$pkg.conf"

command -v systemctl >/dev/null 2>&1 || exit 0
live=no
if [ -d /run/systemd/system ]; then
	live=yes
	systemctl daemon-reload || echo "$pkg: warning: systemctl daemon-reload failed" >&2
fi
if [ "$1" -le 1 ]; then
	# Enabling only writes symlinks: it works in an image build too.
	systemctl --no-reload enable "$unit" ||
		echo "$pkg: warning: could not enable $unit; run: systemctl enable $unit" >&2
elif [ "$live" = yes ]; then
	systemctl try-restart "$unit" ||
		echo "$pkg: warning: $unit did not restart; see: journalctl -u $unit" >&2
fi
exit 0
