#!/bin/sh
# memledger-agent: after installation (deb postinst, rpm %post).
#
# Arguments:
#   deb: configure [OLD-VERSION]      OLD-VERSION is empty on a first install
#        abort-upgrade | abort-remove | abort-deconfigure ...
#   rpm: N                            versions installed after this step:
#                                     1 on a first install, 2 or more on upgrade
#
# Creates the memledger system user and group when absent. On a first
# install it enables the service but does not start it: its settings in
# /etc/memledger (addresses, TLS files) come first. On an upgrade
# it restarts the service only if it is running, and never touches whether
# it is enabled (an administrator's `systemctl disable` survives upgrades).
#
# With DPKG_ROOT set (dpkg --root=DIR --force-script-chrootless, as image
# builders do) every change is made inside DIR, never to the running system.
set -e

service=memledger-agent.service
user=memledger
home=/var/lib/memledger
root="${DPKG_ROOT:-}"

case "$1" in
configure)
	if [ -z "$2" ]; then action=install; else action=upgrade; fi
	;;
abort-upgrade | abort-remove | abort-deconfigure)
	# prerm stopped nothing that needs restoring on these paths.
	exit 0
	;;
[0-9]*)
	if [ "$1" -le 1 ]; then action=install; else action=upgrade; fi
	;;
*)
	echo "memledger-agent postinstall: unknown argument '$1'" >&2
	exit 1
	;;
esac

# known NAME DB reports whether the user or group NAME exists (DB: passwd
# or group). getent also sees users from NSS (LDAP, sssd); inside DPKG_ROOT
# only the files count.
known() {
	if [ -n "$root" ]; then
		grep -q "^$1:" "$root/etc/$2" 2>/dev/null
	else
		getent "$2" "$1" >/dev/null
	fi
}

if ! known "$user" group; then
	groupadd ${root:+--prefix "$root"} --system "$user"
fi
if ! known "$user" passwd; then
	shell=/usr/sbin/nologin
	[ -x "$root$shell" ] || shell=/sbin/nologin
	[ -x "$root$shell" ] || shell=/bin/false
	# No home is created here: systemd creates /var/lib/memledger with the
	# right owner and mode on the first start (StateDirectory=memledger).
	useradd ${root:+--prefix "$root"} --system --gid "$user" \
		--home-dir "$home" --no-create-home --shell "$shell" \
		--comment "memledger inventory" "$user"
fi

command -v systemctl >/dev/null 2>&1 || exit 0

# Only a running systemd, and only outside DPKG_ROOT, is asked to reload.
live=no
if [ -z "$root" ] && [ -d /run/systemd/system ]; then
	live=yes
	systemctl daemon-reload || echo "memledger-agent: warning: systemctl daemon-reload failed" >&2
fi

case "$action" in
install)
	# Enabling only writes symlinks, so it works without a running systemd
	# too (an image build enables the service for the image's first boot).
	systemctl ${root:+--root="$root"} enable "$service" ||
		echo "memledger-agent: warning: could not enable $service; run: systemctl enable $service" >&2
	;;
upgrade)
	if [ "$live" = yes ]; then
		systemctl try-restart "$service" ||
			echo "memledger-agent: warning: $service did not restart; see: journalctl -u $service" >&2
	fi
	;;
esac
exit 0
