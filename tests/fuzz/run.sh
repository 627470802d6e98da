#!/usr/bin/env bash
# Run each libFuzzer target for a bounded time from its committed corpus.
# Usage: tests/fuzz/run.sh FUZZ_BIN_DIR SECONDS TARGET...
#
# The committed corpus tests/fuzz/corpus/NAME/ is a read-only seed: libFuzzer
# writes new inputs to the FIRST corpus directory it is given, so that one is a
# fresh temporary directory, removed afterwards. A crash (or a broken invariant,
# which aborts) leaves its input in build/fuzz/artifacts/ (next to the binaries)
# and fails the run; to keep it as a regression seed, copy it into the corpus:
#     cp build/fuzz/artifacts/fuzz_parse-crash-* tests/fuzz/corpus/fuzz_parse/
# FUZZ_FLAGS adds libFuzzer flags (e.g. FUZZ_FLAGS=-jobs=2).
set -u
bin=$1 seconds=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
artifacts="$(dirname "$bin")/artifacts"
mkdir -p "$artifacts"

# Longest input per target: past LINE_MAX_BYTES for the line reader, a few frames
# or one big payload for the decoders, CTL_LINE_MAX and then some for ctl_parse.
declare -A maxlen=( [fuzz_parse]=9000 [fuzz_frame]=8192 [fuzz_codec_raw]=4096
                    [fuzz_codec_msgpack]=4096 [fuzz_codec_json]=4096 [fuzz_ctl]=1024
                    [fuzz_dump_row]=1024 [fuzz_snapshot]=4096 
                    [fuzz_fmtg17]=64 )

failed=()
for t in "$@"; do
    work=$(mktemp -d "${TMPDIR:-/tmp}/kit-fuzz-$t.XXXXXX")
    log="$work.log"
    dict=()
    [ -f "$here/dict/$t.dict" ] && dict=("-dict=$here/dict/$t.dict")
    echo "fuzz: $t for ${seconds}s (corpus tests/fuzz/corpus/$t, $(ls "$here/corpus/$t" | wc -l) files)"
    # -timeout: one input taking a second is a hang for these decoders.
    # -rss_limit_mb: the decoders must never allocate from an unchecked length.
    "$bin/$t" -max_total_time="$seconds" -max_len="${maxlen[$t]:-4096}" -timeout=5 \
        -rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$artifacts/$t-" \
        "${dict[@]}" ${FUZZ_FLAGS:-} "$work" "$here/corpus/$t" >"$log" 2>&1
    rc=$?
    # One summary line: executions, speed, coverage reached.
    runs=$(grep -Eo 'stat::number_of_executed_units: +[0-9]+' "$log" | grep -Eo '[0-9]+$')
    speed=$(grep -Eo 'stat::average_exec_per_sec: +[0-9]+' "$log" | grep -Eo '[0-9]+$')
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1)
    if [ "$rc" -ne 0 ]; then
        failed+=("$t")
        echo "fuzz: $t FAILED (exit $rc); the end of its log:"
        tail -n 40 "$log"
        echo "fuzz: reproduce with: $bin/$t $artifacts/$t-<crash file>"
    else
        echo "fuzz: $t ok: ${runs:-?} inputs, ${speed:-?}/s, ${cov:-cov: ?}, $(ls "$work" | wc -l) new inputs (discarded)"
    fi
    rm -rf "$work" "$log"
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]}"
    exit 1
fi
echo "fuzz: all $# targets ran ${seconds}s each without a finding"
