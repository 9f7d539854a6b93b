#!/bin/sh
# rpm post-uninstall scriptlet of @PACKAGE@ (rendered by packaging/build.sh).
#
#   N    versions installed after this step: 0 on erase, 1 or more on an
#        upgrade
#
# rpm has no purge: erasing keeps /var/lib/@PACKAGE@ and the system user,
# and for the collector /etc/memledger/tls (the fleet CA and its private
# key). It says so.
set -e

pkg=@PACKAGE@

case "$1" in
0) ;;
[0-9]*) exit 0 ;;
*)
	echo "$pkg post-uninstall: unknown argument '$1'" >&2
	exit 1
	;;
esac

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	systemctl daemon-reload || echo "$pkg: warning: systemctl daemon-reload failed" >&2
fi
case "$pkg" in
memledger-collector) kept="/var/lib/memledger-collector (the ledger, enrollment tokens), /etc/memledger/tls (the fleet CA: ca.key is its private key)" ;;
*) kept="/var/lib/$pkg (this host's agent key, certificate and report spool)" ;;
esac
echo "$pkg: kept $kept and the $pkg user; delete them by hand if no longer needed"
exit 0
