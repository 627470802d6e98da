#!/usr/bin/env bash
# grade.sh: build the kit, run the graded Check suites and score them against
# tests/rubric.txt (worksheets/README.md, "Grading").
#
#   scripts/grade.sh                 build into $O, run, print, write $O/grade.json
#   scripts/grade.sh --no-build      grade the suites already built in $O/tests
#   scripts/grade.sh --parts R3,R4   grade only these rubric parts
#   scripts/grade.sh --exercises ID,ID   only the parts that cover these exercises
#   scripts/grade.sh --repeat N      run the graded suites N times: a test scores
#                                    only if it passed every time, and every test
#                                    that did not is listed (flaky-test hunting)
#   scripts/grade.sh --allow-modified   grade a tree whose graded files differ
#                                    from the manifest (the score says so)
#   scripts/grade.sh --lint          check the rubric against tests/*.c; run nothing
#   scripts/grade.sh --manifest      write tests/MANIFEST.sha256 (make manifest)
#
# Environment: O (default build/grade) and BIN (default $O/bin) name the build
# tree; GRADE_TIME_SCALE (default $CK_TIMEOUT_MULTIPLIER, else 1) multiplies every
# test timeout (it becomes CK_TIMEOUT_MULTIPLIER); GRADE_JOBS (default 2) is make's -j; MAKE is make.
#
# A part's points are its share of passed tests: floor(points * passed / tests).
# Each test is reported on one line; a failure shows Check's message (expected vs
# got) and the command that reruns just its test case; the end of the report
# gives, per exercise, its points, its failed tests and a rerun command.
# The graded files (the rubric, this script, the graded suites and the test
# headers they include, the test hooks and bin/reference's source: `--manifest`
# lists them) must match tests/MANIFEST.sha256: a tree where one differs, is
# missing, or is not in the manifest is refused, naming the file.
# Exit status: 0 only for a full score; 1 below full; 2 bad usage or rubric;
# 3 refused (graded files differ from the manifest).
set -uo pipefail
set -f      # rubric patterns are globs for test names, never for file names

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
rubric=tests/rubric.txt manifest=tests/MANIFEST.sha256
O=${O:-build/grade}
BIN=${BIN:-$O/bin}
scale=${GRADE_TIME_SCALE:-${CK_TIMEOUT_MULTIPLIER:-1}}
jobs=${GRADE_JOBS:-2}
make_cmd=${MAKE:-make}
build=1 mode=grade only_parts="" only_ex="" repeat=1 allow_modified=0

die() { echo "grade: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case $1 in
        --no-build) build=0; shift ;;
        --parts) only_parts=",$2,"; shift 2 ;;
        --exercises) only_ex=",$2,"; shift 2 ;;
        --rubric) rubric=$2; shift 2 ;;
        --repeat) repeat=${2:-}; shift 2 || die "--repeat needs a count" ;;
        --allow-modified) allow_modified=1; shift ;;
        --lint) mode=lint; shift ;;
        --manifest) mode=manifest; shift ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
done
[[ $scale =~ ^[0-9]+([.][0-9]+)?$ ]] && [ "$scale" != 0 ] ||
    die "GRADE_TIME_SCALE must be a positive number, not '$scale'"
[[ $repeat =~ ^[1-9][0-9]{0,2}$ ]] || die "--repeat must be 1..999, not '$repeat'"
[ -r "$rubric" ] || die "cannot read the rubric $rubric"

# ---------------------------------------------------------------- the rubric
# Lines "PART | requirement | points | suite:tcase[:test] glob ... | exercises".
trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; printf '%s' "${s%"${s##*[![:space:]]}"}"; }
P_ID=() P_REQ=() P_PTS=() P_TESTS=() P_EX=()
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    IFS='|' read -r id req pts tests ex extra <<<"$line"
    id=$(trim "$id") req=$(trim "$req") pts=$(trim "$pts") tests=$(trim "$tests") ex=$(trim "${ex:-}")
    [ -n "${extra:-}" ] && die "$rubric:$lineno: more than 5 fields"
    [[ $id =~ ^[A-Za-z0-9_.-]+$ ]] || die "$rubric:$lineno: part id '$id' is not [A-Za-z0-9_.-]+"
    [[ $pts =~ ^[0-9]+$ ]] || die "$rubric:$lineno: points '$pts' is not a whole number"
    [ -n "$tests" ] || die "$rubric:$lineno: part $id names no tests"
    for p in $tests; do
        [[ $p =~ ^test_[a-z0-9_]+:[^:]+(:[^:]+)?$ ]] ||
            die "$rubric:$lineno: '$p' is not suite:tcase or suite:tcase:test (globs allowed)"
    done
    P_ID+=("$id") P_REQ+=("$req") P_PTS+=("$pts") P_TESTS+=("$tests") P_EX+=("$ex")
done <"$rubric"
[ ${#P_ID[@]} -gt 0 ] || die "$rubric has no parts"

# Which parts this run grades.
SEL=()
for i in "${!P_ID[@]}"; do
    keep=1
    [ -n "$only_parts" ] && [[ $only_parts != *",${P_ID[i]},"* ]] && keep=0
    if [ -n "$only_ex" ]; then
        hit=0
        for e in ${P_EX[i]//,/ }; do [[ $only_ex == *",$e,"* ]] && hit=1; done
        [ $hit = 1 ] || keep=0
    fi
    [ $keep = 1 ] && SEL+=("$i")
done
[ ${#SEL[@]} -gt 0 ] || die "no rubric part selected (--parts/--exercises)"

suites_of() { local p; for p in $1; do echo "${p%%:*}"; done; }
mapfile -t SUITES < <(for i in "${SEL[@]}"; do suites_of "${P_TESTS[i]}"; done | sort -u)

# The files whose change the grader reports: the rubric, the test helpers, the
# graded suites' sources and the grader itself.
# Besides the suites: the build rules that compile them and run the grader, the
# test headers a suite includes from tests/ (and their .c, linked into it), the test-only hooks the suites
# drive (phase2_threads/rendezvous.h), and bin/reference, the dumps' truth.
graded_files() { graded_files_all | awk '!seen[$0]++'; }
graded_files_all() {
    local f
    echo "$rubric"
    echo scripts/grade.sh
    printf '%s\n' tests/kit_test.c tests/kit_test.h tests/module.mk worksheets/module.mk Makefile
    printf '%s\n' phase2_threads/rendezvous.c phase2_threads/rendezvous.h tools/reference.c
    for i in "${!P_ID[@]}"; do suites_of "${P_TESTS[i]}"; done | sort -u | while read -r f; do
        echo "tests/$f.c"
        sed -n 's/^#include "\([^"/]*\)".*/\1/p' "tests/$f.c" 2>/dev/null | while read -r h; do
            [ -f "tests/$h" ] && echo "tests/$h"
            # a helper header's own source, linked into the suite (tests/module.mk)
            [ -f "tests/${h%.h}.c" ] && echo "tests/${h%.h}.c"
        done
    done | sort -u
}

if [ $mode = manifest ]; then
    files=()
    while read -r f; do
        [ -f "$f" ] && files+=("$f") || echo "grade: warning: $f (named by the rubric) does not exist" >&2
    done < <(graded_files)
    sha256sum "${files[@]}" >"$manifest.tmp" && mv "$manifest.tmp" "$manifest"
    echo "grade: wrote $manifest (${#files[@]} files)"
    exit 0
fi

# ---------------------------------------------------------------- lint
# Every pattern must name a suite source that exists, and its tcase glob must
# match a string literal of that source (suites name their tcases in tables and
# macros, so the literals are the closest static list; the run itself reports
# a pattern that matched no test).
tcases_of() {
    grep -o '"[A-Za-z0-9_.-]*"' "tests/$1.c" 2>/dev/null | tr -d '"' | sort -u
}
if [ $mode = lint ]; then
    bad=0 total=0
    declare -A seen=()
    for i in "${!P_ID[@]}"; do
        total=$((total + P_PTS[i]))
        [ -n "${seen[${P_ID[i]}]:-}" ] && { echo "$rubric: part ${P_ID[i]} is listed twice"; bad=1; }
        seen[${P_ID[i]}]=1
        for p in ${P_TESTS[i]}; do
            suite=${p%%:*} rest=${p#*:} tc=${rest%%:*} found=0
            if [ ! -f "tests/$suite.c" ]; then
                echo "$rubric: part ${P_ID[i]}: tests/$suite.c does not exist"; bad=1; continue
            fi
            while read -r name; do
                # shellcheck disable=SC2053
                [[ $name == $tc ]] && found=1
            done < <(tcases_of "$suite")
            [ $found = 1 ] || { echo "$rubric: part ${P_ID[i]}: no tcase of tests/$suite.c matches '$tc'"; bad=1; }
        done
    done
    echo "grade: rubric has ${#P_ID[@]} parts, $total points"
    exit $bad
fi

# ---------------------------------------------------------------- build
work=$(mktemp -d "${TMPDIR:-/tmp}/grade.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$work"' EXIT
mkdir -p "$O"
echo "grade: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, timeouts x$scale, build tree $O"

# Tamper check: every graded file must be in the manifest, with its hash.
modified=()
if [ -r "$manifest" ]; then
    while IFS= read -r l; do
        [[ $l == *": FAILED"* ]] && modified+=("${l%%: FAILED*} (differs)")
    done < <(sha256sum -c "$manifest" 2>/dev/null)
    while read -r f; do
        [ -f "$f" ] || { modified+=("$f (missing)"); continue; }
        awk -v f="$f" '$2 == f { found = 1 } END { exit !found }' "$manifest" || modified+=("$f (not in the manifest)")
    done < <(graded_files)
else
    modified+=("$manifest (missing)")
fi
if [ ${#modified[@]} -gt 0 ]; then
    for f in "${modified[@]}"; do echo "grade: graded file $f: compared with $manifest" >&2; done
    if [ $allow_modified = 0 ]; then
        echo "grade: REFUSED: ${#modified[@]} graded file(s) differ from the shipped ones (listed above); restore" \
             "them (git checkout, or the handout's copy), or grade anyway with --allow-modified" \
             "(GRADE_ARGS=--allow-modified), which marks the score as untrusted" >&2
        exit 3
    fi
    echo "grade: NOTE grading anyway (--allow-modified): the score is untrusted"
fi

if [ $build = 1 ]; then
    # Stale binaries must never be graded: remove them so that a failed build
    # shows as a missing suite, not as last time's pass.
    rm -f "${SUITES[@]/#/$O/tests/}"
    [ -d "$BIN" ] && find "$BIN" -maxdepth 1 -type f -delete
    echo "grade: building ($make_cmd -j$jobs O=$O BIN=$BIN all + ${#SUITES[@]} suites)"
    if ! $make_cmd --no-print-directory -k -j"$jobs" O="$O" BIN="$BIN" all \
            "${SUITES[@]/#/$O/tests/}" >"$work/build.log" 2>&1; then
        echo "grade: the build failed; what it said:"
        grep -E ': (fatal )?error:|\*\*\* |undefined reference' "$work/build.log" | head -n 25 | sed 's/^/    /'
        cp "$work/build.log" "$O/grade-build.log"
        echo "    (whole log: $O/grade-build.log); grading what did build"
    fi
fi

# ---------------------------------------------------------------- run
# Each graded suite runs with a TAP log: one line per test.
declare -A RES=() MSG=() ORDER_SEEN=() SUITE_RC=()
ORDER=() runs=0
kit_bin=$(cd "$BIN" 2>/dev/null && pwd || echo "$root/$BIN")
outer=$(awk -v s="$scale" 'BEGIN { printf "%d", 900 * s }')
# The test cases a suite must run for the selected parts: one name per line, or
# nothing when some pattern needs the whole suite (a glob in its tcase).
cases_of() {
    local i p rest tc whole=0 list=()
    for i in "${SEL[@]}"; do
        for p in ${P_TESTS[i]}; do
            [ "${p%%:*}" = "$1" ] || continue
            rest=${p#*:} tc=${rest%%:*}
            case $tc in *[*?[]*) whole=1 ;; *) list+=("$tc") ;; esac
        done
    done
    [ $whole = 1 ] || [ ${#list[@]} -eq 0 ] || printf '%s\n' "${list[@]}" | sort -u
}

# run_suite SUITE [CASE]: run it once (just CASE if given) with a TAP log
# appended to $work/SUITE.tap; returns the exit status.
run_suite() {
    local exe=$O/tests/$1 tap=$work/$1.run$((++runs)).tap rc
    if [ -n "${2:-}" ]; then
        CK_TAP_LOG_FILE_NAME=$tap CK_TIMEOUT_MULTIPLIER=$scale KIT_BIN=$kit_bin CK_RUN_CASE=$2 \
            env -u CK_RUN_SUITE timeout --kill-after=10 "$outer" "$exe" >>"$work/$1.log" 2>&1
    else
        CK_TAP_LOG_FILE_NAME=$tap CK_TIMEOUT_MULTIPLIER=$scale KIT_BIN=$kit_bin \
            env -u CK_RUN_SUITE -u CK_RUN_CASE timeout --kill-after=10 "$outer" "$exe" >>"$work/$1.log" 2>&1
    fi
    rc=$?
    cat "$tap" >>"$work/$1.tap" 2>/dev/null
    rm -f "$tap"
    return $rc
}

# A suite runs once, whole, or once per test case its selected parts name (so
# that grading a few parts does not run every slow case of a big suite).
# With --repeat N every suite runs N rounds; a test passes only if it passed in
# every round (PASSES counts the rounds it passed).
declare -A PASSES=()
for ((round = 1; round <= repeat; round++)); do
    for s in "${SUITES[@]}"; do
        exe=$O/tests/$s
        if [ ! -x "$exe" ]; then
            SUITE_RC[$s]=missing
            continue
        fi
        mapfile -t cases < <(cases_of "$s")
        echo "grade: running $s${cases[0]:+ (${cases[*]})}$([ "$repeat" = 1 ] || echo ", round $round of $repeat")"
        : >"$work/$s.tap"
        [ "$round" = 1 ] && SUITE_RC[$s]=0
        if [ ${#cases[@]} -eq 0 ]; then
            run_suite "$s"; rc=$?
            [ $rc -gt "${SUITE_RC[$s]}" ] && SUITE_RC[$s]=$rc
        else
            for c in "${cases[@]}"; do
                run_suite "$s" "$c"; rc=$?
                [ $rc -gt "${SUITE_RC[$s]}" ] && SUITE_RC[$s]=$rc
            done
        fi
        tap=$work/$s.tap
        declare -A this_round=()
        while IFS= read -r l; do
            [[ $l =~ ^(ok|not\ ok)\ [0-9]+\ -\ (.*)$ ]] || continue
            verdict=${BASH_REMATCH[1]} rest=${BASH_REMATCH[2]}
            rest=${rest#*:}                     # the source file
            tc=${rest%%:*}; rest=${rest#*:}
            tn=${rest%%:*}; msg=${rest#*: }
            key="$s:$tc:$tn"
            # A loop test reports once per iteration: it passes if every one
            # does, and shows the first failure.
            if [ -z "${ORDER_SEEN[$key]:-}" ]; then
                ORDER_SEEN[$key]=1; ORDER+=("$key"); RES[$key]=pass; PASSES[$key]=0
            fi
            [ -z "${this_round[$key]:-}" ] && this_round[$key]=pass
            if [ "$verdict" != ok ]; then
                this_round[$key]=fail
                [ "${RES[$key]}" = pass ] && { RES[$key]=fail; MSG[$key]="${msg}$([ "$repeat" = 1 ] || echo " (round $round)")"; }
            fi
        done <"$tap" 2>/dev/null
        for key in "${!this_round[@]}"; do
            [ "${this_round[$key]}" = pass ] && PASSES[$key]=$((PASSES[$key] + 1))
        done
        unset this_round
    done
done
# A test that passed every round it ran in but did not report in some round
# (its suite died or hung in that round) did not pass every time.
for key in "${ORDER[@]}"; do
    [ "${PASSES[$key]}" -lt "$repeat" ] && [ "${RES[$key]}" = pass ] &&
        { RES[$key]=fail; MSG[$key]="reported in only ${PASSES[$key]} of $repeat rounds"; }
done

# ---------------------------------------------------------------- score
json_str() {
    local s=$1
    s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\t'/\\t}; s=${s//$'\n'/\\n}; s=${s//$'\r'/}
    printf '"%s"' "$s"
}
rerun_cmd() {    # the command that reruns one test case
    local suite=${1%%:*} rest=${1#*:}
    printf "CK_RUN_CASE='%s' CK_TIMEOUT_MULTIPLIER=%s KIT_BIN=%s %s/tests/%s" \
        "${rest%%:*}" "$scale" "$BIN" "$O" "$suite"
}

score=0 max=0 parts_json="" full=1
declare -A EX_GOT=() EX_MAX=() EX_FAILS=()
EX_ORDER=()
for i in "${SEL[@]}"; do
    part_fails=""
    id=${P_ID[i]} pts=${P_PTS[i]}
    echo
    echo "== $id: ${P_REQ[i]} ($pts point$([ "$pts" = 1 ] || echo s))"
    n=0 passed=0 tests_json=""
    for key in "${ORDER[@]}"; do
        hit=0
        for p in ${P_TESTS[i]}; do
            [[ $p == *:*:* ]] || p="$p:*"
            # shellcheck disable=SC2053
            [[ $key == $p ]] && hit=1
        done
        [ $hit = 1 ] || continue
        n=$((n + 1))
        if [ "${RES[$key]}" = pass ]; then
            passed=$((passed + 1))
            echo "  PASS $key"
            tests_json+="${tests_json:+,}{\"test\":$(json_str "$key"),\"result\":\"pass\"}"
        else
            echo "  FAIL $key: ${MSG[$key]}"
            part_fails+=" $key"
            echo "       rerun: $(rerun_cmd "$key")"
            tests_json+="${tests_json:+,}{\"test\":$(json_str "$key"),\"result\":\"fail\",\"message\":$(json_str "${MSG[$key]}"),\"rerun\":$(json_str "$(rerun_cmd "$key")")}"
        fi
    done
    note=""
    for s in $(suites_of "${P_TESTS[i]}" | sort -u); do
        rc=${SUITE_RC[$s]:-missing}
        if [ "$rc" = missing ]; then
            echo "  FAIL $s: the suite did not build (see the build errors above)"
            note+="$s did not build; "
        elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
            echo "  FAIL $s: the whole suite ran past ${outer}s and was killed (GRADE_TIME_SCALE=$scale)"
            note+="$s timed out; "
        elif [ ! -s "$work/$s.tap" ]; then
            echo "  FAIL $s: exited with status $rc before reporting any test; its output:"
            tail -n 5 "$work/$s.log" | sed 's/^/       /'
            note+="$s exited $rc without a report; "
        fi
    done
    [ $n -eq 0 ] && [ -z "$note" ] && { echo "  FAIL no test matches '${P_TESTS[i]}' (rubric out of date?)"; note="no test matched"; }
    got=0
    [ $n -gt 0 ] && [ -z "$note" ] && got=$((pts * passed / n))
    [ $n -gt 0 ] && [ -n "$note" ] && got=0
    [ $got -lt "$pts" ] && full=0
    score=$((score + got)) max=$((max + pts))
    for e in ${P_EX[i]//,/ }; do
        [ -n "${EX_MAX[$e]:-}" ] || { EX_ORDER+=("$e"); EX_GOT[$e]=0 EX_MAX[$e]=0 EX_FAILS[$e]=""; }
        EX_GOT[$e]=$((EX_GOT[$e] + got)) EX_MAX[$e]=$((EX_MAX[$e] + pts))
        EX_FAILS[$e]+="$part_fails${note:+ ($id: ${note%; })}"
    done
    echo "Part $id: $got/$pts ($passed of $n tests passed${note:+; ${note%; }})"
    parts_json+="${parts_json:+,}{\"part\":$(json_str "$id"),\"requirement\":$(json_str "${P_REQ[i]}"),\"points\":$got,\"max\":$pts,\"passed\":$passed,\"tests\":$n${note:+,\"note\":$(json_str "${note%; }")},\"results\":[$tests_json]}"
done

mod_json=""
for f in "${modified[@]}"; do mod_json+="${mod_json:+,}$(json_str "$f")"; done
{
    printf '{"score":%d,"max":%d,"repeat":%d,"time_scale":%s,"cores":%d,"date":"%s",' \
        "$score" "$max" "$repeat" "$scale" "$(nproc)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf '"modified_tests":[%s],"parts":[%s]}\n' "$mod_json" "$parts_json"
} >"$O/grade.json"

# Per exercise: its points, the tests that failed, how to rerun one.
if [ ${#EX_ORDER[@]} -gt 0 ]; then
    echo
    echo "== Exercises (worksheets/EXERCISES.md says what each asks)"
    for e in "${EX_ORDER[@]}"; do
        if [ -z "${EX_FAILS[$e]}" ]; then
            echo "  $e: ${EX_GOT[$e]}/${EX_MAX[$e]}, every test passed"
            continue
        fi
        fails=$(echo "${EX_FAILS[$e]}" | sed 's/^ //')
        first=${fails%% *}
        echo "  $e: ${EX_GOT[$e]}/${EX_MAX[$e]}; failed: $fails"
        [[ $first == test_*:*:* ]] && echo "      rerun one: $(rerun_cmd "$first")"
    done
fi
if [ "$repeat" -gt 1 ]; then
    echo
    echo "== Repeat: the graded suites ran $repeat times"
    flaky=0
    for key in "${ORDER[@]}"; do
        [ "${PASSES[$key]}" -lt "$repeat" ] || continue
        flaky=$((flaky + 1))
        echo "  did not pass every time: $key (passed ${PASSES[$key]} of $repeat)"
    done
    echo "  ${#ORDER[@]} tests; $flaky did not pass all $repeat rounds"
fi

echo
[ ${#modified[@]} -gt 0 ] && echo "NOTE: ${#modified[@]} graded file(s) differ from the shipped ones, the score is untrusted: ${modified[*]}"
echo "grade: wrote $O/grade.json"
echo "Score: $score/$max"
[ $full = 1 ]
