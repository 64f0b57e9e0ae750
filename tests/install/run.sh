#!/usr/bin/env bash
# The installed C library, used the way the README tells C and C++ users to: `make install`
# into a temporary prefix (and once more into a DESTDIR staging tree), then
#   - the file layout, the SONAME (readelf -d) and the exported symbols (nm -D: exactly the
#     functions of the header, all weave_*);
#   - pkg-config: a C program built with `cc $(pkg-config --cflags --libs weave-feedback)` plus
#     the README's rpath line, and the C quick start linked fully statically with
#     `cc -static $(pkg-config --static --cflags --libs weave-feedback)`;
#   - make install-strip (no debug sections, the same exports, C programs still link) and
#     make uninstall (every installed file removed, other files kept; with PREFIX and DESTDIR);
#   - CMake: a C++ program built with find_package(WeaveFeedback MAJOR.MINOR), against the
#     shared and the static imported target; a later minor or another major must fail;
# each program then run against the test server (tests/server/), with no LD_LIBRARY_PATH.
#
# Versions come from Cargo.toml: a release bump needs no edit here.
# Usage: tests/install/run.sh   (needs make, cc, c++, cmake, pkg-config, readelf, nm, strip)
# The last line is "install: N passed, M failed".
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$repo/target/install-tests"
cd "$repo"
# shellcheck source=../lib/stages.sh
source "$repo/tests/lib/stages.sh"

unset LD_LIBRARY_PATH PKG_CONFIG_PATH CMAKE_PREFIX_PATH
rm -rf "$out"
mkdir -p "$out"
prefix="$out/prefix"
CC="${CC:-cc}"

version="$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)"
major="${version%%.*}"

step "make" make --no-print-directory
step "make install PREFIX=<tmp>" make --no-print-directory install PREFIX="$prefix"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"

layout() {
    local lib="$prefix/lib" f
    for f in include/weave_feedback.h lib/libweave_feedback.so.$version lib/libweave_feedback.a \
        lib/pkgconfig/weave-feedback.pc lib/cmake/WeaveFeedback/WeaveFeedbackConfig.cmake \
        lib/cmake/WeaveFeedback/WeaveFeedbackConfigVersion.cmake; do
        [ -f "$prefix/$f" ] && [ ! -L "$prefix/$f" ] || { echo "missing file $f"; return 1; }
    done
    [ "$(readlink "$lib/libweave_feedback.so.$major")" = "libweave_feedback.so.$version" ] &&
        [ "$(readlink "$lib/libweave_feedback.so")" = "libweave_feedback.so.$major" ] ||
        { ls -l "$lib"; echo "wrong symlinks"; return 1; }
    cmp -s include/weave_feedback.h "$prefix/include/weave_feedback.h" || { echo "header differs"; return 1; }
}
step "installed files and symlinks" layout

soname() {
    local got
    got="$(readelf -d "$prefix/lib/libweave_feedback.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
    echo "SONAME: $got"
    [ "$got" = "libweave_feedback.so.$major" ]
}
step "SONAME is libweave_feedback.so.$major" soname

# The header's functions: every `weave_name(` that starts a prototype line.
header_functions() {
    sed -n 's/^.*[ *]\(weave_[a-z0-9_]*\)(.*/\1/p' include/weave_feedback.h | sort -u
}
exports() { # exports [PREFIX]
    local lib="${1:-$prefix}/lib/libweave_feedback.so.$version"
    nm -D --defined-only "$lib" | awk '{print $3}' | sort -u >"$out/exports.txt"
    header_functions >"$out/header-functions.txt"
    if grep -v '^weave_' "$out/exports.txt"; then
        echo "^ exported symbols not named weave_*"
        return 1
    fi
    if ! diff "$out/header-functions.txt" "$out/exports.txt"; then
        echo "the exports differ from the header's functions (< header only, > exported only)"
        return 1
    fi
    echo "$(wc -l <"$out/exports.txt") symbols exported, all declared in the header"
}
step "nm -D: exactly the header's weave_* functions are exported" exports

staged() { # DESTDIR puts the same tree under the staging directory; files name the real prefix
    local stage="$out/stage"
    make --no-print-directory install PREFIX=/opt/weave DESTDIR="$stage" >"$out/destdir.log" 2>&1 ||
        { cat "$out/destdir.log"; return 1; }
    [ -f "$stage/opt/weave/lib/libweave_feedback.so.$version" ] &&
        grep -qx 'prefix=/opt/weave' "$stage/opt/weave/lib/pkgconfig/weave-feedback.pc" &&
        grep -q '"/opt/weave/lib/libweave_feedback.a"' \
            "$stage/opt/weave/lib/cmake/WeaveFeedback/WeaveFeedbackConfig.cmake"
}
step "make install DESTDIR=<stage> PREFIX=/opt/weave" staged

# ------------------------------------------------------------------------------ install-strip
debug_sections() { readelf -S -W "$1" 2>/dev/null | grep -c ' \.debug_'; }
stripped() { # install-strip: no debug sections left, the same exports, programs still link
    local sp="$out/strip-prefix" lib="$out/strip-prefix/lib"
    make --no-print-directory install-strip PREFIX="$sp" >"$out/strip.log" 2>&1 ||
        { cat "$out/strip.log"; return 1; }
    echo "libweave_feedback.a: $(stat -c %s "$prefix/lib/libweave_feedback.a") bytes," \
        "$(debug_sections "$prefix/lib/libweave_feedback.a") debug sections installed;" \
        "after install-strip: $(stat -c %s "$lib/libweave_feedback.a") bytes, $(debug_sections "$lib/libweave_feedback.a") debug sections"
    # The plain install's archive carries debug sections (else this step would show nothing).
    [ "$(debug_sections "$prefix/lib/libweave_feedback.a")" -gt 0 ] ||
        { echo "the plain install has no debug sections to strip"; return 1; }
    local f
    for f in "$lib/libweave_feedback.so.$version" "$lib/libweave_feedback.a"; do
        [ "$(debug_sections "$f")" = 0 ] || { echo "debug sections left in $f"; return 1; }
    done
    if readelf -S -W "$lib/libweave_feedback.so.$version" | grep -q ' \.symtab '; then
        echo "the shared library still has a symbol table (.symtab)"
        return 1
    fi
    exports "$sp" || return 1
    # A program links against each stripped library and runs (no network needed).
    # shellcheck disable=SC2046
    "$CC" -std=c11 -Wall -Wextra -Werror "$here/version_check.c" \
        $(PKG_CONFIG_PATH="$lib/pkgconfig" pkg-config --cflags --libs weave-feedback) \
        "-Wl,-rpath,$lib" -o "$out/version_check_stripped" &&
        needs "$out/version_check_stripped" "libweave_feedback.so.$major" &&
        "$out/version_check_stripped" || return 1
    # shellcheck disable=SC2046
    "$CC" -static -std=c11 -Wall -Wextra -Werror "$here/version_check.c" \
        $(PKG_CONFIG_PATH="$lib/pkgconfig" pkg-config --static --cflags --libs weave-feedback) \
        -o "$out/version_check_stripped_static" 2>"$out/strip-static.log" ||
        { cat "$out/strip-static.log"; return 1; }
    "$out/version_check_stripped_static"
}

# ------------------------------------------------------------------------------ uninstall
our_files() { (cd "$1" && find . ! -type d | sort); }
uninstalled() { # uninstall removes every file install put there, and nothing else
    local up="$out/uninstall-prefix" stage="$out/uninstall-stage"
    make --no-print-directory install PREFIX="$up" >"$out/uninstall.log" 2>&1 ||
        { cat "$out/uninstall.log"; return 1; }
    our_files "$up" >"$out/installed-files.txt"
    printf '%s\n' ./include/weave_feedback.h ./lib/cmake/WeaveFeedback/WeaveFeedbackConfig.cmake \
        ./lib/cmake/WeaveFeedback/WeaveFeedbackConfigVersion.cmake ./lib/libweave_feedback.a \
        ./lib/libweave_feedback.so "./lib/libweave_feedback.so.$major" \
        "./lib/libweave_feedback.so.$version" ./lib/pkgconfig/weave-feedback.pc |
        sort >"$out/expected-files.txt"
    diff "$out/expected-files.txt" "$out/installed-files.txt" ||
        { echo "make install put other files than these (< expected, > installed)"; return 1; }
    echo "$(wc -l <"$out/installed-files.txt") files and links installed"
    # Someone else's files in the same directories must survive.
    mkdir -p "$up/lib/cmake/Other" && touch "$up/include/other.h" "$up/lib/libother.so" \
        "$up/lib/pkgconfig/other.pc" "$up/lib/cmake/Other/OtherConfig.cmake"
    make --no-print-directory uninstall PREFIX="$up" >>"$out/uninstall.log" 2>&1 ||
        { cat "$out/uninstall.log"; return 1; }
    local left
    left="$(our_files "$up")"
    if [ "$left" != "$(printf '%s\n' ./include/other.h ./lib/cmake/Other/OtherConfig.cmake \
        ./lib/libother.so ./lib/pkgconfig/other.pc)" ]; then
        echo "after uninstall the prefix holds:"
        echo "$left"
        return 1
    fi
    [ ! -e "$up/lib/cmake/WeaveFeedback" ] || { echo "lib/cmake/WeaveFeedback is left"; return 1; }
    # The same with DESTDIR: the staging tree ends with no file.
    make --no-print-directory install PREFIX=/opt/weave DESTDIR="$stage" >>"$out/uninstall.log" 2>&1 &&
        [ "$(our_files "$stage" | wc -l)" = "$(wc -l <"$out/installed-files.txt")" ] &&
        make --no-print-directory uninstall PREFIX=/opt/weave DESTDIR="$stage" >>"$out/uninstall.log" 2>&1 ||
        { cat "$out/uninstall.log"; return 1; }
    left="$(our_files "$stage")"
    [ -z "$left" ] || { echo "after uninstall DESTDIR=<stage>, the stage holds:"; echo "$left"; return 1; }
}

pc() {
    [ "$(pkg-config --modversion weave-feedback)" = "$version" ] &&
        pkg-config --libs weave-feedback | grep -q -- "-lweave_feedback" &&
        pkg-config --static --libs weave-feedback | grep -q -- "-lpthread"
}
step "pkg-config --modversion, --libs, --static --libs" pc

# ------------------------------------------------------------------------------ build
# The README's line for a prefix outside the loader's path: an rpath from pkg-config.
rpath="-Wl,-rpath,$(pkg-config --variable=libdir weave-feedback)"
needs() { # needs BINARY LIB: LIB is a DT_NEEDED entry of BINARY
    readelf -d "$1" | grep -q "(NEEDED).*\[$2\]" || { readelf -d "$1" | grep NEEDED; echo "no NEEDED $2"; return 1; }
}
build_version_check() {
    # shellcheck disable=SC2046
    "$CC" -std=c11 -Wall -Wextra -Werror "$here/version_check.c" \
        $(pkg-config --cflags --libs weave-feedback) "$rpath" -o "$out/version_check" &&
        needs "$out/version_check" "libweave_feedback.so.$major"
}
step "cc \$(pkg-config --cflags --libs weave-feedback): links the SONAME" build_version_check
build_quickstart_shared() {
    # shellcheck disable=SC2046
    "$CC" -std=c11 -Wall -Wextra -Werror examples/c/quickstart.c \
        $(pkg-config --cflags --libs weave-feedback) "$rpath" -o "$out/quickstart_shared"
}
step "build the C quick start (shared)" build_quickstart_shared
build_quickstart_static() {
    # glibc warns that getaddrinfo/getpwuid_r in a static binary need its shared NSS modules
    # at run time (the README says so); everything else must link.
    # shellcheck disable=SC2046
    "$CC" -static -std=c11 -Wall -Wextra -Werror examples/c/quickstart.c \
        $(pkg-config --static --cflags --libs weave-feedback) -o "$out/quickstart_static" \
        2>"$out/static-link.log" || { cat "$out/static-link.log"; return 1; }
    if readelf -d "$out/quickstart_static" | grep -q NEEDED; then
        echo "the static quick start still needs shared libraries"
        return 1
    fi
}
step "build the C quick start with -static \$(pkg-config --static ...)" build_quickstart_static

step "make install-strip: no debug sections, the same exports, C programs link (shared, static) and run" stripped
step "make uninstall (PREFIX, then DESTDIR): every installed file removed, other files kept" uninstalled

# The C++ consumer asks for the installed MAJOR.MINOR (from Cargo.toml, so a release needs no
# edit here); a later minor or another major must be refused.
minor="${version#*.}"
minor="${minor%%.*}"
cmake_build() {
    rm -rf "$out/cmake"
    cmake -S "$here/cmake" -B "$out/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
        -DWEAVE_FIND_VERSION="$major.$minor" -DCMAKE_BUILD_TYPE=Release >"$out/cmake.log" 2>&1 &&
        cmake --build "$out/cmake" >>"$out/cmake.log" 2>&1 ||
        { cat "$out/cmake.log"; return 1; }
    needs "$out/cmake/app_shared" "libweave_feedback.so.$major" || return 1
    if readelf -d "$out/cmake/app_static" | grep -q "NEEDED.*libweave_feedback"; then
        echo "app_static needs the shared library"
        return 1
    fi
}
step "CMake find_package(WeaveFeedback $major.$minor): C++, shared and static targets" cmake_build
cmake_wrong_version() { # cmake_wrong_version X.Y: the version file must refuse it
    local dir="$out/cmake-$1"
    rm -rf "$dir"
    if cmake -S "$here/cmake" -B "$dir" -DCMAKE_PREFIX_PATH="$prefix" -DWEAVE_FIND_VERSION="$1" \
        >"$out/cmake-$1.log" 2>&1; then
        echo "find_package(WeaveFeedback $1) succeeded against $version"
        return 1
    fi
    grep -q "WeaveFeedbackConfigVersion.cmake\|version" "$out/cmake-$1.log"
}
step "CMake find_package(WeaveFeedback $((major + 1)).0) is refused" cmake_wrong_version "$((major + 1)).0"
step "CMake find_package(WeaveFeedback $major.$((minor + 1))) is refused" cmake_wrong_version "$major.$((minor + 1))"

# ------------------------------------------------------------------------------ run
api_key="install-test-key-$RANDOM$RANDOM"
# shellcheck source=../server/start_server.sh
if ! source "$repo/tests/server/start_server.sh" --api-key "$api_key"; then
    fail_step "test server"
    finish install
    exit 1
fi
echo "test server at $WEAVE_TEST_BASE_URL"
export WF_TRACE_SERVER_URL="$WEAVE_TEST_BASE_URL" WANDB_API_KEY="$api_key"
new_ref() { echo "weave:///install-tests/demo/call/$(python3 -c 'import uuid; print(uuid.uuid4())')"; }

step "run the version check (header macros = weave_feedback_version())" "$out/version_check"
run_quickstart() { # run_quickstart BINARY: the quick start's full round trip
    "$1" "$(new_ref)" >"$out/qs.log" 2>&1
    local rc=$?
    cat "$out/qs.log"
    [ $rc -eq 0 ] && grep -q "purged the note" "$out/qs.log" && grep -q "2 rows remain" "$out/qs.log"
}
step "run the C quick start (shared, rpath from pkg-config)" run_quickstart "$out/quickstart_shared"
step "run the C quick start (static)" run_quickstart "$out/quickstart_static"
run_cxx() {
    "$1" "$(new_ref)" | tee "$out/cxx.log"
    [ "${PIPESTATUS[0]}" -eq 0 ] && grep -q "round trip ok: 1 row" "$out/cxx.log"
}
step "run the C++ program (CMake, shared target)" run_cxx "$out/cmake/app_shared"
step "run the C++ program (CMake, static target)" run_cxx "$out/cmake/app_static"
wrong_key() { # the failure path through the installed library: the library's own message
    WANDB_API_KEY=wrong "$out/cmake/app_shared" "$(new_ref)" >"$out/wrong.log" 2>&1
    local rc=$?
    cat "$out/wrong.log"
    [ $rc -eq 1 ] && grep -q "unauthorized (HTTP 401)" "$out/wrong.log"
}
step "C++ program with a wrong key fails with the library's message" wrong_key

finish install
