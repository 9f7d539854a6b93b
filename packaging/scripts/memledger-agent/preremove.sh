#!/bin/sh
# memledger-agent: before removal (deb prerm, rpm %preun).
#
# Arguments:
#   deb: remove                       the package is being removed
#        upgrade NEW-VERSION | failed-upgrade ... | deconfigure ...
#   rpm: N                            versions installed after this step:
#                                     0 on removal, 1 or more on upgrade
#
# On removal the service is stopped and disabled. On an upgrade nothing
# happens here: the new package's postinstall restarts a running service.
#
# With DPKG_ROOT set (dpkg --root=DIR --force-script-chrootless) only DIR
# is changed: the running system's services are left alone.
set -e

service=memledger-agent.service
root="${DPKG_ROOT:-}"

case "$1" in
remove | 0) ;;
upgrade | failed-upgrade | deconfigure | [0-9]*) exit 0 ;;
*)
	echo "memledger-agent preremove: unknown argument '$1'" >&2
	exit 1
	;;
esac

command -v systemctl >/dev/null 2>&1 || exit 0

if [ -z "$root" ] && [ -d /run/systemd/system ]; then
	systemctl stop "$service" || echo "memledger-agent: warning: could not stop $service" >&2
fi
systemctl ${root:+--root="$root"} --no-reload disable "$service" ||
	echo "memledger-agent: warning: could not disable $service" >&2
exit 0
