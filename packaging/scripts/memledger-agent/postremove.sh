#!/bin/sh
# memledger-agent: after removal (deb postrm, rpm %postun).
#
# Arguments:
#   deb: remove | purge               the package was removed (purge: and its
#                                     conffiles, which dpkg deletes itself)
#        upgrade | failed-upgrade | abort-install | abort-upgrade | disappear ...
#   rpm: N                            versions installed after this step:
#                                     0 on removal, 1 or more on upgrade
#
# Never deletes /var/lib/memledger, not even on purge: it holds state and,
# on a collector, the fleet's ledger, which may be shared with the other
# memledger package. The memledger user stays too: deleting it would leave
# those files owned by a number the next new system user could receive.
set -e

root="${DPKG_ROOT:-}"

case "$1" in
remove | purge | 0) ;;
upgrade | failed-upgrade | abort-install | abort-upgrade | disappear | [0-9]*) exit 0 ;;
*)
	echo "memledger-agent postremove: unknown argument '$1'" >&2
	exit 1
	;;
esac

if [ -z "$root" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	systemctl daemon-reload || echo "memledger-agent: warning: systemctl daemon-reload failed" >&2
fi

if [ "$1" = purge ]; then
	echo "memledger-agent: kept $root/var/lib/memledger and the memledger user; remove them by hand if no memledger package is left"
fi
exit 0
