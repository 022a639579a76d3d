# SPDX-License-Identifier: MIT
# bash completion for tmwatch (installed as
# share/bash-completion/completions/tmwatch, where bash-completion looks).
# After a program name, the program's own completion takes over.

_tmwatch()
{
	local cur prev words cword
	_init_completion || return

	local i cmd="" sub=""
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--crash-output) ((i++)) ;;
		--) ((i++)); break ;;
		-*) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		if [[ $prev == --crash-output ]]; then
			_filedir
		elif [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-q --crash-output -h --help
				--version --" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "telemetry crashes doctor stacks" \
				-- "$cur") $(compgen -c -- "$cur"))
			[[ $cur == */* || $cur == .* ]] && _filedir
		fi
		return
	fi
	[[ $i -lt $cword ]] && sub=${words[i + 1]}
	case $cmd in
	telemetry)
		if ((cword == i + 1)); then
			COMPREPLY=($(compgen -W "on local off status env dump csv
				clean upload count view --help" -- "$cur"))
			return
		fi
		case $sub in
		status | env) COMPREPLY=($(compgen -W "--json" -- "$cur")) ;;
		dump) [[ $cur == -* ]] &&
			COMPREPLY=($(compgen -W "--json" -- "$cur")) ||
			_filedir count ;;
		csv) _filedir count ;;
		clean) COMPREPLY=($(compgen -W "--all --dry-run" -- "$cur")) ;;
		count) [[ $prev == --program ]] && COMPREPLY=($(compgen -c -- "$cur")) ||
			COMPREPLY=($(compgen -W "--program --version" -- "$cur")) ;;
		view) COMPREPLY=($(compgen -W "--addr --open" -- "$cur")) ;;
		esac
		;;
	crashes)
		if ((cword == i + 1)); then
			COMPREPLY=($(compgen -W "list info clean --program --since
				--until -n --json --help" -- "$cur"))
			return
		fi
		case $prev in
		--program) COMPREPLY=($(compgen -c -- "$cur")); return ;;
		--since | --until | -n | --older-than) return ;;
		esac
		case $sub in
		info) COMPREPLY=($(compgen -W "--json" -- "$cur")) ;;
		clean) COMPREPLY=($(compgen -W "--older-than --dry-run" \
			-- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "--program --since --until -n --json" \
			-- "$cur")) ;;
		esac
		;;
	doctor) COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
	stacks) COMPREPLY=($(compgen -W "--data --program --help" -- "$cur")) ;;
	*) _command_offset "$i" ;;
	esac
} &&
	complete -F _tmwatch tmwatch
