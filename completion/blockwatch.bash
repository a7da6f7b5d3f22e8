# SPDX-License-Identifier: GPL-2.0
#
# bash completion for blockwatch(8): the subcommands, each one's options (the
# ones its --help prints: tests/install/docs.sh checks), process IDs after -p,
# files after the options that take one and for report and diff.
# Installed as $(PREFIX)/share/bash-completion/completions/blockwatch; needs
# nothing from the bash-completion package.

_blockwatch_watch_opts='-p --pid -a --all --comm --exclude-comm --cgroup -t --threshold
	-i --interval --go-interval -d --duration -j --json -o --output --pprof --folded
	--prometheus --snapshot-dir --snapshot-every --snapshot-keep --snapshot-max-size
	--http-token --max-sites --no-histograms --max-threads --go-ignore --ignore --fail-on
	--no-go --no-python --go-probes --futex-calls --btf -v --verbose -? --help --usage -V --version'
_blockwatch_report_opts='-j --json --pprof --folded -t --threshold -p --pid --verdict --comm
	-? --help --usage -V --version'
_blockwatch_diff_opts='-j --json -? --help --usage -V --version'

# Replies with the files and directories that start with $1.
_blockwatch_files()
{
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen -f -- "$1")
}

_blockwatch()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev='' cmd='' i=$COMP_CWORD opts

	COMPREPLY=()
	# "--opt=value" comes as "--opt" "=" "value" while '=' breaks words.
	if [ "$cur" = = ]; then
		prev=${COMP_WORDS[i - 1]}
		cur=
	elif [ "$i" -ge 2 ] && [ "${COMP_WORDS[i - 1]}" = = ]; then
		prev=${COMP_WORDS[i - 2]}
	elif [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
	elif [ "$i" -ge 1 ]; then
		prev=${COMP_WORDS[i - 1]}
	fi
	[ "$i" -gt 1 ] && cmd=${COMP_WORDS[1]}

	case $prev in
	-p | --pid)
		mapfile -t COMPREPLY < <(compgen -W "$(cd /proc && printf '%s ' [0-9]*)" -- "$cur")
		return
		;;
	-o | --output | --pprof | --folded | --go-ignore | --ignore | --btf | --http-token)
		_blockwatch_files "$cur"
		return
		;;
	--snapshot-dir)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return
		;;
	--cgroup)
		# Paths relative to the cgroup v2 root, as --cgroup takes them.
		mapfile -t COMPREPLY < <(compgen -d -- "/sys/fs/cgroup$cur")
		COMPREPLY=("${COMPREPLY[@]#/sys/fs/cgroup}")
		compopt -o nospace 2>/dev/null
		return
		;;
	--comm | --exclude-comm)
		mapfile -t COMPREPLY < <(compgen -W "$(cat /proc/[0-9]*/comm 2>/dev/null |
			sort -u)" -- "$cur")
		return
		;;
	--fail-on)
		mapfile -t COMPREPLY < <(compgen -W stuck -- "$cur")
		return
		;;
	--verdict)
		# A comma list: the verdicts after the last comma.
		local done=${cur%"${cur##*,}"}
		mapfile -t COMPREPLY < <(compgen -P "$done" -W 'deadlock leak stuck blocked idle' \
			-- "${cur##*,}")
		compopt -o nospace 2>/dev/null
		return
		;;
	--prometheus)
		mapfile -t COMPREPLY < <(compgen -W ':9464 127.0.0.1:9464' -- "$cur")
		return
		;;
	-t | --threshold | -i | --interval | -d | --duration | --go-interval | --max-sites | \
		--max-threads | --snapshot-every | --snapshot-keep | --snapshot-max-size)
		return # a duration or a number
		;;
	esac

	case $cmd in
	report) opts=$_blockwatch_report_opts ;;
	diff) opts=$_blockwatch_diff_opts ;;
	*) opts=$_blockwatch_watch_opts ;;
	esac
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
	elif [ "$i" -eq 1 ]; then
		mapfile -t COMPREPLY < <(compgen -W 'snapshot report diff' -- "$cur")
	elif [ "$cmd" = report ] || [ "$cmd" = diff ]; then
		_blockwatch_files "$cur"
	fi
}
complete -F _blockwatch blockwatch
