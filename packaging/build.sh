#!/bin/sh
# Builds memledger's release packages: static binaries, then deb and rpm
# packages of memledger-agent and memledger-collector, with nfpm pinned in
# packaging/tools.mod (no installation needed beyond Go).
#
#   packaging/build.sh [VERSION]
#
# VERSION: the package version, e.g. 1.2.0 or v1.2.0-rc1 (a leading v is
# dropped; "-rc1" becomes the pre-release "~rc1" in deb and rpm). Default: the
# v* tag on HEAD if there is one, else 0.0.0-dev.
#
# Environment (all optional):
#   DIST        output directory (default: dist/ in the repository)
#   GOARCH      target architecture (default: this machine's), e.g. arm64
#   PACKAGES    which packages (default: "memledger-agent memledger-collector")
#   FORMATS     which formats (default: "deb rpm")
#   MEMLEDGER_MAINTAINER  the packages' maintainer, "Name <email>"
#   SOURCE_DATE_EPOCH     timestamp of the packaged files (default: the
#                         HEAD commit's time), for reproducible packages
#
# Output, in DIST: bin/memledger-agent, bin/memledger-collector, one
# package per name and format (memledger-agent_1.2.0_amd64.deb,
# memledger-agent-1.2.0-1.x86_64.rpm, ...) and SHA256SUMS.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

if [ $# -gt 1 ]; then
	echo "usage: packaging/build.sh [VERSION]" >&2
	exit 2
fi
version=${1:-}
if [ -z "$version" ]; then
	version=$(git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null || echo 0.0.0-dev)
fi
version=${version#v}
case "$version" in
[0-9]*) ;;
*)
	echo "build.sh: version '$version' must start with a digit (e.g. 1.2.0 or v1.2.0)" >&2
	exit 2
	;;
esac
case "$version" in
*[!0-9A-Za-z.+~-]*)
	echo "build.sh: version '$version' may hold only letters, digits and . + ~ -" >&2
	exit 2
	;;
esac

dist=${DIST:-$repo/dist}
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)
arch=${GOARCH:-$(go env GOARCH)}
packages=${PACKAGES:-memledger-agent memledger-collector}
formats=${FORMATS:-deb rpm}
built=""
tmp=""
render=""
trap '[ -z "$tmp" ] || rm -rf "$tmp"; [ -z "$render" ] || rm -rf "$render"' EXIT
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH

# Read by the nfpm configs.
export MEMLEDGER_VERSION="$version"
export MEMLEDGER_ARCH="$arch"
export MEMLEDGER_BIN="$dist/bin"
export MEMLEDGER_MAINTAINER="${MEMLEDGER_MAINTAINER:-memledger maintainers <maintainers@users.noreply.r-seed-105e9c31.example>}"

# The commit and its date (not the build's, so rebuilding a commit gives
# the same binary); empty outside a git checkout, and `version` then says
# what the Go toolchain recorded, if anything.
commit=$(git rev-parse HEAD 2>/dev/null || true)
commit_date=$(TZ=UTC git log -1 --date=iso-strict-local --format=%cd 2>/dev/null || true)
ldflags="-s -w -X github.com/memledger/memledger/internal/version.Version=$version"
ldflags="$ldflags -X github.com/memledger/memledger/internal/version.Commit=$commit"
ldflags="$ldflags -X github.com/memledger/memledger/internal/version.Date=$commit_date"

for pkg in $packages; do
	case "$pkg" in
	memledger-agent) main=./agent/cmd/memledger-agent docs=./agent/internal/gendocs config=packaging/nfpm-agent.yaml ;;
	memledger-collector) main=./collector/cmd/memledger-collector docs=./collector/internal/gendocs config=packaging/nfpm-collector.yaml ;;
	*)
		echo "build.sh: unknown package '$pkg' (want memledger-agent or memledger-collector)" >&2
		exit 2
		;;
	esac
	echo "== $pkg $version linux/$arch"
	# Static (no cgo: SQLite is modernc.org/sqlite, pure Go), without local
	# paths, stripped, and stamped with the version and commit. grpcnotrace
	# leaves out gRPC's golang.org/x/net/trace support (and html/template
	# with it), which only grpc.EnableTracing turns on and neither binary
	# does: every one-shot scan paid for initialising it.
	CGO_ENABLED=0 GOOS=linux GOARCH="$arch" go build -trimpath -tags grpcnotrace \
		-ldflags "$ldflags" \
		-o "$dist/bin/$pkg" "$main"
	# The maintainer scripts are shared by both packages: render this
	# package's copies (@PACKAGE@ -> its name) and point a copy of its
	# nfpm config at them.
	render=$(mktemp -d "$dist/.render.XXXXXX")
	mkdir "$render/scripts"
	for kind in deb rpm; do
		mkdir "$render/scripts/$kind"
		for script in packaging/scripts/$kind/*; do
			sed "s/@PACKAGE@/$pkg/g" "$script" >"$render/scripts/$kind/${script##*/}"
			chmod 0755 "$render/scripts/$kind/${script##*/}"
		done
	done
	sed "s|packaging/scripts/|$render/scripts/|; s|@DOCS@|$render/docs|" "$config" >"$render/nfpm.yaml"
	# Manual pages and completions from the command tree.
	go run "$docs" "$render/docs" "$version"
	for page in "$render"/docs/man1/*.1.gz; do
		printf '  - src: %s\n    dst: /usr/share/man/man1/%s\n    type: doc\n    file_info:\n      mode: 0644\n' \
			"$page" "${page##*/}" >>"$render/nfpm.yaml"
	done
	for format in $formats; do
		# The changelog, with an entry for this version on top unless it
		# is the latest listed, naming the package's version-release: deb
		# spells a pre-release with ~; nfpm's rpm changelog prints the
		# semver, so a pre-release shows as 1.2.0-rc1-1 there.
		pkgversion=$version-1
		[ "$format" = deb ] && pkgversion=$(echo "$version" | sed 's/-/~/')-1
		if [ "$(sed -n 's/^- semver: *//p' packaging/changelog.yaml | head -n 1)" = "$version" ]; then
			sed "s/^- semver: $version\$/- semver: $pkgversion/" packaging/changelog.yaml >"$render/changelog.yaml"
		else
			{
				echo "- semver: $pkgversion"
				echo "  date: $(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
				echo "  packager: $MEMLEDGER_MAINTAINER"
				echo "  deb:"
				echo "    urgency: low"
				echo "    distributions: [unstable]"
				echo "  changes:"
				echo "    - note: Build of commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
				cat packaging/changelog.yaml
			} >"$render/changelog.yaml"
		fi
		zsh=/usr/share/zsh/vendor-completions drop='^$'
		[ "$format" = rpm ] && zsh=/usr/share/zsh/site-functions
		[ "$format" = deb ] && drop='^    type: doc$'
		sed "s|^changelog: .*|changelog: $render/changelog.yaml|; s|@ZSH@|$zsh|; /$drop/d" "$render/nfpm.yaml" >"$render/nfpm-$format.yaml"
		# nfpm names the file by each format's convention; build into an
		# empty directory to learn the name without guessing it.
		tmp=$(mktemp -d "$dist/.nfpm.XXXXXX")
		go tool -modfile=packaging/tools.mod nfpm package \
			--config "$render/nfpm-$format.yaml" --packager "$format" --target "$tmp/"
		for f in "$tmp"/*; do
			mv -f "$f" "$dist/"
			built="$built ${f##*/}"
		done
		rmdir "$tmp"
		tmp=""
	done
	rm -rf "$render"
	render=""
done

(cd "$dist" && sha256sum $built >SHA256SUMS)
echo "== packages in $dist"
ls -l "$dist"
