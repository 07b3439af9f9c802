#!/bin/sh
# Install whatever is missing, then build if the sources changed: the first step of both
# `npm start` and `npm test`. Idempotent and quick when everything is in place.
set -eu
cd "$(dirname "$0")/.."

# command → Debian package (the commands joot and its test fixtures run; libguestfs-tools is the
# reference that the oracle tests and the bench compare with)
NEEDS="qemu-img:qemu-utils qemu-nbd:qemu-utils qemu-storage-daemon:qemu-system-common
nbdfuse:libnbd-bin partx:util-linux setpriv:util-linux unshare:util-linux losetup:mount
blkid:util-linux sfdisk:fdisk sgdisk:gdisk mkfs.ext4:e2fsprogs debugfs:e2fsprogs
mkfs.xfs:xfsprogs btrfs:btrfs-progs lvm:lvm2 mkfs.vfat:dosfstools mcopy:mtools
ntfs-3g:ntfs-3g mkntfs:ntfs-3g fusermount3:fuse3 fusefat:fusefat fuse2fs:fuse2fs
udevadm:udev flock:util-linux sha256sum:coreutils
/usr/bin/time:time rpm:rpm rpmbuild:rpm db5.3_load:db5.3-util sqlite3:sqlite3 gpg:gnupg
xxd:xxd python3:python3 debootstrap:debootstrap file:file getfattr:attr setfattr:attr
capsh:libcap2-bin blkdiscard:util-linux wipefs:util-linux fatlabel:dosfstools ntfslabel:ntfs-3g
swaplabel:util-linux xfs_admin:xfsprogs hivexregedit:libwin-hivex-perl hivexsh:libhivex-bin
getfacl:acl setfacl:acl perl:perl-base gcc:gcc keyctl:keyutils augtool:augeas-tools
setfiles:policycoreutils matchpathcon:selinux-utils
virt-inspector:libguestfs-tools
xorriso:xorriso mkfs.erofs:erofs-utils mkfs.exfat:exfatprogs mount.exfat-fuse:exfat-fuse mksquashfs:squashfs-tools
cryptsetup:cryptsetup-bin mdadm:mdadm nbdinfo:libnbd-bin nbdcopy:libnbd-bin qemu-io:qemu-utils
redis-server:redis-server strace:strace"

missing=""
for pair in $NEEDS; do
  cmd=${pair%%:*}
  pkg=${pair#*:}
  if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ] && [ ! -x "/sbin/$cmd" ]; then
    case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
  fi
done
# libguestfs's appliance boots a Debian kernel from /boot (supermin finds none on a container host)
if ! ls /boot/vmlinuz-* >/dev/null 2>&1; then missing="$missing linux-image-amd64"; fi
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages:$missing (run as root to install them)" >&2
    exit 1
  fi
  echo "setup: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >&2
fi

# the SPDX validator the SBOM tests run (not in every Debian release: a script of its own)
sh scripts/setup-spdx-tools.sh

# npm dependencies: when missing or older than the lock file
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# build: when any source is newer than the last build
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find src bench scripts package.json tsconfig.json -newer "$stamp" -type f 2>/dev/null | head -n 1)" ]; then
  echo "setup: building" >&2
  npm run --silent build >&2
  touch "$stamp"
fi
