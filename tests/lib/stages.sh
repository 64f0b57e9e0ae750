# Shared by the test runners (tests/all.sh, tests/c/run.sh, tests/hosts/run.sh,
# tests/install/run.sh, tests/bindings/run.sh): run named steps, count them, time them, and
# print one summary line. Source it from bash:
#
#   source tests/lib/stages.sh
#   step "name" command args...      # runs it; a failure is counted and the next step runs
#   stop_on_failure=1                # optional: exit at the first failing step instead
#   finish c_tests                   # prints "c_tests: N passed, M failed"; fails if M > 0
#
# Markers: "--- name" before a step, "--- ok   name (T s)" or "--- FAIL name (T s)" after it
# (STEP_MARK changes "---").

steps_passed=0
steps_failed=0
steps_failures=()
steps_start=$SECONDS
stop_on_failure="${stop_on_failure:-0}"
STEP_MARK="${STEP_MARK:----}"

step() {
    local name="$1" t0=$SECONDS
    shift
    echo "$STEP_MARK $name"
    if "$@"; then
        steps_passed=$((steps_passed + 1))
        echo "$STEP_MARK ok   $name ($((SECONDS - t0)) s)"
    else
        steps_failed=$((steps_failed + 1))
        steps_failures+=("$name")
        echo "$STEP_MARK FAIL $name ($((SECONDS - t0)) s)"
        if [ "$stop_on_failure" = 1 ]; then
            finish "${STEPS_LABEL:-steps}"
            exit 1
        fi
    fi
}

# fail_step NAME: counts a failure that has no command (a prerequisite that is missing).
fail_step() {
    steps_failed=$((steps_failed + 1))
    steps_failures+=("$1")
    echo "$STEP_MARK FAIL $1"
}

# finish LABEL: the summary; returns 1 when a step failed.
finish() {
    echo
    echo "total time $((SECONDS - steps_start)) s"
    if [ "${#steps_failures[@]}" -gt 0 ]; then
        printf 'failed: %s\n' "${steps_failures[@]}"
    fi
    echo "$1: $steps_passed passed, $steps_failed failed"
    [ "$steps_failed" -eq 0 ]
}
