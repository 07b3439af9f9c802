#!/bin/sh
# `npm start`: build the sample image once (a few MiB, two partitions, a few files) and
# show what is inside it with jfish, read-only.
set -eu
cd "$(dirname "$0")/.."
dir=${JOOT_FIXTURES:-.cache/fixtures}
bash test/fixtures/build.sh "$dir" sample.raw >&2
img=$dir/sample.raw
echo "\$ jfish --ro -a $img run : list-filesystems : mount-ro /dev/sda2 / : mount-ro /dev/sda1 /boot : mountpoints : cat /hello.txt : cat /etc/os-release"
exec ./bin/jfish --ro -a "$img" run : list-filesystems : mount-ro /dev/sda2 / : mount-ro /dev/sda1 /boot : mountpoints : cat /hello.txt : cat /etc/os-release
