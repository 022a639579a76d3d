# SPDX-License-Identifier: MIT
# tests/package/dist.sh BUILD SCENARIO -- the files installed around the
# binaries (dist/): bash completion, the systemd user units, the example
# upload config, each exercised from a real `cmake --install` prefix.
set -u
build=$1
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export TMWATCH_DIR="$T/store" XDG_STATE_HOME="$T/state" HOME="$T/home"
export TMWATCH_QUIET=1
unset TMWATCH_BIN TMWATCH_SHIM LD_PRELOAD TMWATCH_TELEMETRY DO_NOT_TRACK
mkdir -p "$HOME" "$TMWATCH_DIR/local"
touch "$TMWATCH_DIR/local/daily.token"
p="$T/prefix"
cmake --install "$build" --prefix "$p" >/dev/null || fail "install"

case $2 in
bash_completion_completes_commands_options_and_programs)
	comp="$p/share/bash-completion/completions/tmwatch"
	[ -s "$comp" ] || fail "no $comp"
	# complete LINE: the words bash-completion offers at its end.
	complete_line() {
		bash --norc --noprofile -c '
			. /usr/share/bash-completion/bash_completion || exit 1
			. "$1" || exit 1
			read -r -a COMP_WORDS <<<"$2"
			[ "${2: -1}" = " " ] && COMP_WORDS+=("")
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			COMP_LINE=$2 COMP_POINT=${#2}
			_tmwatch tmwatch "${COMP_WORDS[COMP_CWORD]}" \
				"${COMP_WORDS[COMP_CWORD-1]}"
			printf "%s\n" "${COMPREPLY[@]}"' sh "$comp" "$1"
	}
	out=$(complete_line "tmwatch tel") || fail "bash: $out"
	# The command, and programs (a program may follow tmwatch).
	printf '%s\n' "$out" | grep -qx telemetry || fail "'tmwatch tel': $out"
	out=$(complete_line "tmwatch telemetry st")
	[ "$out" = status ] || fail "'telemetry st': $out"
	out=$(complete_line "tmwatch crashes clean --")
	printf '%s\n' "$out" | grep -qx -- --older-than || fail "clean: $out"
	out=$(complete_line "tmwatch doc")
	printf '%s\n' "$out" | grep -qx doctor || fail "doc: $out"
	# After a program, that program's completion: here files of ls.
	touch "$T/zzfile"
	cd "$T" || fail cd
	out=$(complete_line "tmwatch ls zzf")
	[ "$out" = zzfile ] || fail "'tmwatch ls zzf': $out"
	;;
systemd_units_are_valid_and_installed_disabled)
	u="$p/lib/systemd/user"
	[ -s "$u/tmwatch-upload.service" ] && [ -s "$u/tmwatch-upload.timer" ] ||
		fail "units missing in $u"
	grep -qx "ExecStart=$p/bin/tmwatch telemetry upload" \
		"$u/tmwatch-upload.service" && fail "ExecStart names the staging prefix"
	grep -q "^ExecStart=.*/bin/tmwatch telemetry upload$" \
		"$u/tmwatch-upload.service" || fail "ExecStart"
	# verify wants the ExecStart binary to exist: point it at ours.
	sed "s|^ExecStart=[^ ]*|ExecStart=$p/bin/tmwatch|" \
		"$u/tmwatch-upload.service" >"$T/tmwatch-upload.service"
	cp "$u/tmwatch-upload.timer" "$T/"
	# A user manager needs a runtime directory; --man=no: the man
	# pages are not installed system-wide here.
	mkdir -p "$T/run"
	out=$(XDG_RUNTIME_DIR="$T/run" systemd-analyze verify --user \
		--man=no "$T/tmwatch-upload.timer" \
		"$T/tmwatch-upload.service" 2>&1) || fail "verify: $out"
	[ -z "$out" ] || fail "verify: $out"
	# And a broken one is caught: the check is real.
	sed -i 's/^OnCalendar=daily/OnCalendar=dailyy/' "$T/tmwatch-upload.timer"
	XDG_RUNTIME_DIR="$T/run" systemd-analyze verify --user --man=no \
		"$T/tmwatch-upload.timer" >/dev/null 2>&1 &&
		fail "verify accepts a bad timer"
	# Disabled: nothing links it into timers.target.
	[ -z "$(find "$p" -name '*.wants')" ] || fail "installed enabled"
	# What the service runs works in a fresh store.
	"$p/bin/tmwatch" telemetry upload 2>"$T/err" ||
		fail "telemetry upload: $(cat "$T/err")"
	;;
example_upload_config_is_valid_and_not_active)
	ex="$p/share/doc/tmwatch/examples/upload-config.example.json"
	[ -s "$ex" ] || fail "no $ex"
	"$p/bin/tmwatch" telemetry status >"$T/out" || fail status
	grep -q "upload configs: none" "$T/out" || fail "example active: $(cat "$T/out")"
	mkdir -p "$TMWATCH_DIR/upload.d"
	cp "$ex" "$TMWATCH_DIR/upload.d/"
	"$p/bin/tmwatch" telemetry status >"$T/out" || fail status
	grep -q "^upload config: .*endpoint https://telemetry.example.org/tmwatch, programs mytool$" \
		"$T/out" || fail "example invalid: $(cat "$T/out")"
	;;
*) fail "unknown scenario '$2'" ;;
esac
echo ok
