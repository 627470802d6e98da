#!/usr/bin/env bash
# Install the Debian packages the lab kit needs, or say exactly how to.
#
#   scripts/deps.sh           install what is missing (apt-get, as root)
#   scripts/deps.sh --check   exit 0 if everything is there, 1 otherwise; installs nothing
#
# Why each package: check (unit tests), libuv1-dev (the event loop), libmsgpack-dev
# (the kit's "pickle"), libjansson-dev (the JSON codec), pkg-config (library flags),
# gnuplot-nox (plots), hyperfine (whole-program timing), clang + libclang-rt-14-dev
# (the second compiler, sanitizers and libFuzzer), valgrind (memcheck run),
# python3 python3-uvloop python3-msgpack python3-numpy (the Python lane: the
# course's own programs, run on /usr/bin/python3), pyflakes3 (their lint in make ci).
set -u

pkgs=(build-essential pkg-config check libsubunit-dev libuv1-dev libmsgpack-dev
      libjansson-dev gnuplot-nox hyperfine clang libclang-rt-14-dev valgrind
      python3 python3-uvloop python3-msgpack python3-numpy pyflakes3)
pkgs+=(openmpi-bin libopenmpi-dev)   # phase 5 (phase5_cluster/): mpirun, mpi.h and libmpi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || missing+=("$p")
done

if [ "${1:-}" = "--check" ]; then
    [ ${#missing[@]} -eq 0 ]
    exit
fi
[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "lab kit: missing Debian packages: ${missing[*]}" >&2
    echo "lab kit: run this as root, then try again:" >&2
    echo "    apt-get update && $cmd" >&2
    exit 1
fi
echo "lab kit: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 && $cmd -qq >&2 || {
    echo "lab kit: apt-get failed; run by hand: apt-get update && $cmd" >&2
    exit 1
}
