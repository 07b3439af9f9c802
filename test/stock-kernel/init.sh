#!/bin/bash
# The stock-kernel VM's init (run by the image's /sbin/joot-vm-init as PID 1, from the read-only
# project share): a stock Debian host in miniature. No systemd: mount the pseudo filesystems,
# start udevd, load the modules a stock host has (nbd, device-mapper, md, dm-crypt, the kernel
# filesystems joot mounts), put everything written on the scratch disk (/dev/vdb), the project
# share included (an overlay), mount the fixture cache (9p tag "fixtures", read-only, at its host path), run the runner's command file
# (9p tag "ctl": run.sh, written by test/stock-kernel/runner.ts) and leave its exit status
# there, then power off. The root disk is opened with -snapshot: what is written there is lost.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8
# Output goes to the serial console, which the runner streams.
exec </dev/null >/dev/console 2>&1

say() { echo "joot-vm: $*"; }
off() {
  sync
  echo o >/proc/sysrq-trigger
  sleep 60
}
trap off EXIT

arg() { # arg NAME: the value of NAME= on the kernel command line
  local w
  for w in $(</proc/cmdline); do [[ $w == "$1="* ]] && echo "${w#"$1"=}"; done
}

mount -o remount,rw /
mountpoint -q /sys || mount -t sysfs sys /sys
mountpoint -q /dev || mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mountpoint -q /dev/pts || mount -t devpts devpts /dev/pts
mountpoint -q /run || mount -t tmpfs -o mode=0755 run /run
mount -t tmpfs shm /dev/shm
mkdir -p -m 1777 /run/lock  # systemd-tmpfiles makes it on a stock host

mkfs.ext4 -q -F -E nodiscard,lazy_itable_init=1 /dev/vdb || { say "no scratch disk"; exit 1; }
mount /dev/vdb /scratch
# The project share is read-only, but tools write beside it (vite's bundled config, caches): an
# overlay at the same path takes those writes onto the scratch disk. It is moved aside before
# /tmp is replaced, which would hide a project cloned under /tmp (CI's clean clone is /tmp/c);
# this script stays readable through its open descriptor.
share=$(arg joot.share)
mkdir -p /scratch/share/lower /scratch/share/upper /scratch/share/work
mount --move "$share" /scratch/share/lower
mkdir -p /scratch/tmp /scratch/var-tmp
chmod 1777 /scratch/tmp /scratch/var-tmp
mount --bind /scratch/tmp /tmp
mount --bind /scratch/var-tmp /var/tmp
mkdir -p "$share"
mount -t overlay overlay -o lowerdir=/scratch/share/lower,upperdir=/scratch/share/upper,workdir=/scratch/share/work,xino=off,index=off "$share" || {
  say "cannot put an overlay on $share"
  exit 1
}

fixtures=$(arg joot.fixtures)
mkdir -p "$fixtures" /run/joot-ctl
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=524288,cache=loose fixtures "$fixtures" || {
  say "cannot mount the fixture cache at $fixtures"
  exit 1
}
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 ctl /run/joot-ctl || exit 1

# What joot asks a stock host to have loaded (README: `modprobe nbd`), and loop and fuse, whose
# /dev nodes systemd would have made (kmod static-nodes). Filesystem modules are NOT loaded:
# on a stock host mount(2) loads vfat, isofs, xfs, btrfs on first use, and joot must know that.
# (Debian 12's kernel is built without ntfs3: ntfs goes through ntfs-3g there too.)
for m in loop fuse nbd dm-mod dm-crypt md-mod raid0 raid1 raid456; do
  modprobe "$m" || say "modprobe $m failed"
done
/lib/systemd/systemd-udevd --daemon
udevadm trigger --action=add --type=subsystems
udevadm trigger --action=add --type=devices
udevadm settle --timeout=60
say "ready ($(uname -r), $(nproc) cpus, uptime $(cut -d' ' -f1 /proc/uptime) s)"

bash /run/joot-ctl/run.sh
status=$?
echo "$status" >/run/joot-ctl/status
say "command exited $status (uptime $(cut -d' ' -f1 /proc/uptime) s)"
