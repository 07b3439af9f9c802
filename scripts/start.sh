#!/bin/sh
# `npm start`: build the sample image once (a few MiB: a small Debian-like root on two
# partitions), show what is inside it with jfish, then inspect it with jinspect.
set -eu
cd "$(dirname "$0")/.."
dir=${JOOT_FIXTURES:-.cache/fixtures}
bash test/fixtures/build.sh "$dir" sample.raw >&2
img=$dir/sample.raw
echo "\$ jfish --ro -a $img run : list-filesystems : mount-ro /dev/sda2 / : cat /hello.txt"
./bin/jfish --ro -a "$img" run : list-filesystems : mount-ro /dev/sda2 / : cat /hello.txt
echo
echo "\$ jinspect $img"
exec ./bin/jinspect "$img"
