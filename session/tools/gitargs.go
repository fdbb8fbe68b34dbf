package tools

import (
	"fmt"
	"sort"
	"strings"
)

// The git tool runs a call without approval only when every argument is on an
// allowlist, judged the way git itself parses arguments. Anything else (another
// subcommand, an unknown option, a path outside the repository) is not refused
// by string matching but judged as a command under the approval policy, like
// run_command "git ...": read-only refuses it, ask asks the user.
//
// Why an allowlist of exact option names: git accepts unambiguous abbreviations
// of long options in the subcommands built on parse-options (`git blame
// --conten=FILE` is --contents), and which abbreviations are unambiguous changes
// with every git release that adds an option. A list of forbidden names can
// therefore never be complete. Accepting only exact names (which git always
// prefers over an abbreviation) makes the judgement independent of git's version:
// an abbreviation, even of an allowed option, simply needs approval.

// gitVerdict is the guard's judgement of one git tool call.
type gitVerdict int

const (
	// gitRead: on the allowlist; runs without approval, under hardened config.
	gitRead gitVerdict = iota
	// gitCommand: outside the allowlist; judged and run like run_command "git ...".
	gitCommand
	// gitInvalid: nothing to run (empty args); the tool answers with the reason.
	gitInvalid
)

// optKind says whether an option takes a value and how git accepts it.
type optKind uint8

const (
	optFlag     optKind = iota // no value: "--stat=x" is not allowed
	optValue                   // value optional, attached only: "--stat", "--stat=80", "-M", "-M50"
	optRequired                // value required: attached ("--format=x", "-U3"), or the next argument when sep
)

// gitOpt describes one allowed option.
type gitOpt struct {
	kind optKind
	// sep: git certainly takes the next argument as the value when the option
	// stands alone ("-L 1,5"). Only then does the guard skip checking that
	// argument as a path; the next argument is never taken when it starts with
	// "-" (the guard judges it as an option instead, which is never looser). For
	// every other option a separate value is checked as if it were a path, so a
	// wrong guess about git's parsing can only make the guard stricter.
	sep bool
	// path: the value names a path in the repository and is confined.
	path bool
}

// gitSub is the allowlist of one subcommand.
type gitSub struct {
	opts map[string]gitOpt // "--stat", "-s"; short options may be bundled ("-sb")
	// counts allows "-<n>" (git log -5).
	counts bool
	// positional judges an argument that is not an option, before "--". Nil
	// means revisions or paths: confined as paths (a revision such as HEAD~1 or
	// HEAD:f.go is a harmless relative name).
	positional func(arg string, st *gitParse) string
}

// gitParse is the state of judging one call.
type gitParse struct {
	confine func(path string) error
	listing bool // git branch: --list/-l given, so names are patterns
}

func flags(names ...string) map[string]gitOpt {
	m := map[string]gitOpt{}
	for _, n := range names {
		m[n] = gitOpt{kind: optFlag}
	}
	return m
}

func with(m map[string]gitOpt, kind optKind, names ...string) map[string]gitOpt {
	for _, n := range names {
		m[n] = gitOpt{kind: kind}
	}
	return m
}

func merge(ms ...map[string]gitOpt) map[string]gitOpt {
	out := map[string]gitOpt{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// diffOpts are the diff output options of diff, log and show. Left out on
// purpose: --output (writes a file), -O/--orderfile (reads a file),
// --ext-diff/--textconv (run configured programs), --no-index (reads any file),
// --ignore-submodules (would let git run in submodules under their own config),
// --color (escape codes; --no-color is allowed).
func diffOpts() map[string]gitOpt {
	m := flags("-p", "-u", "--patch", "-s", "--no-patch", "--raw", "--patch-with-raw", "--patch-with-stat",
		"--numstat", "--shortstat", "--summary", "--name-only", "--name-status", "--check", "--full-index",
		"--binary", "-R", "-a", "--text", "-w", "--ignore-all-space", "-b", "--ignore-space-change",
		"--ignore-space-at-eol", "--ignore-blank-lines", "--ignore-cr-at-eol", "--minimal", "--patience",
		"--histogram", "--no-renames", "--find-copies-harder", "-z", "--no-color", "--no-prefix",
		"--irreversible-delete", "-D", "--cumulative", "--compact-summary", "--exit-code", "--quiet",
		"--pickaxe-all", "--pickaxe-regex", "-W", "--function-context", "--no-ext-diff", "--no-textconv",
		"--color-words", "--no-relative")
	with(m, optValue, "--stat", "--dirstat", "-M", "-C", "-B", "--find-renames", "--find-copies",
		"--break-rewrites", "--abbrev", "--word-diff", "--submodule", "--color-moved")
	with(m, optRequired, "-U", "--unified", "--diff-filter", "-S", "-G", "--inter-hunk-context",
		"--src-prefix", "--dst-prefix", "--line-prefix", "--diff-algorithm", "--anchored",
		"--word-diff-regex", "--ws-error-highlight", "-l", "--stat-width", "--stat-count", "--stat-name-width")
	m["--relative"] = gitOpt{kind: optValue, path: true}
	return m
}

// revOpts are the commit-walking and formatting options of log, show and
// shortlog. Left out on purpose: --stdin, --show-signature (runs gpg.program),
// -L (its value holds a file path), --notes (other refs' content is fine, but
// not needed), --bisect.
func revOpts() map[string]gitOpt {
	m := flags("--all-match", "--invert-grep", "-i", "--regexp-ignore-case", "-E", "--extended-regexp",
		"-F", "--fixed-strings", "--perl-regexp", "--merges", "--no-merges", "--first-parent", "--all",
		"--not", "--ancestry-path", "--simplify-by-decoration", "--full-history", "--dense", "--sparse",
		"--simplify-merges", "--topo-order", "--date-order", "--author-date-order", "--reverse",
		"--oneline", "--abbrev-commit", "--no-abbrev-commit", "--no-decorate", "--source", "--graph",
		"--relative-date", "--parents", "--children", "--left-right", "--cherry-pick", "--cherry-mark",
		"--cherry", "--boundary", "--follow", "-m", "-c", "--cc", "--no-diff-merges", "--log-size",
		"--no-notes", "--use-mailmap", "--mailmap", "--no-mailmap", "-g", "--walk-reflogs", "--no-walk",
		"--do-walk", "--remove-empty", "--show-linear-break", "--no-expand-tabs", "--expand-tabs")
	with(m, optValue, "--decorate", "--pretty", "--branches", "--tags", "--remotes")
	with(m, optRequired, "-n", "--max-count", "--skip", "--since", "--after", "--until", "--before",
		"--author", "--committer", "--grep", "--min-parents", "--max-parents", "--format", "--date",
		"--diff-merges", "--encoding", "--glob", "--exclude", "--since-as-filter", "--decorate-refs",
		"--decorate-refs-exclude")
	return m
}

// gitSubs is the read-only allowlist. Beyond the six subcommands of the tool
// contract: rev-parse (resolve a name to a commit, the current branch: nothing
// else in the toolbox answers that), describe (which release a commit is in) and
// shortlog (who works on what). Not included: ls-files and grep (find_files and
// grep do that, confined), cat-file (show covers it), reflog, config, and every
// subcommand that writes.
var gitSubs = map[string]gitSub{
	"status": {opts: merge(
		flags("-s", "--short", "-b", "--branch", "--long", "-v", "--verbose", "-z", "--no-column",
			"--ahead-behind", "--no-ahead-behind", "--renames", "--no-renames", "--show-stash"),
		with(map[string]gitOpt{}, optValue, "--porcelain", "-u", "--untracked-files", "--ignored",
			"--column", "--find-renames"))},
	"diff": {opts: merge(diffOpts(), flags("--cached", "--staged", "--merge-base"))},
	"log":  {opts: merge(diffOpts(), revOpts()), counts: true},
	"show": {opts: merge(diffOpts(), revOpts()), counts: true},
	"shortlog": {opts: merge(revOpts(),
		flags("-s", "--summary", "-e", "--email", "--committer"),
		with(map[string]gitOpt{}, optRequired, "--group")), counts: true},
	// blame: --contents, -S and --ignore-revs-file read files; --textconv runs
	// programs. -L takes the next argument ("-L 1,5", "-L /regex/,+3").
	"blame": {opts: merge(
		flags("-b", "--root", "--show-stats", "-l", "-t", "-s", "-n", "--show-number", "-e", "--show-email",
			"-f", "--show-name", "-w", "-p", "--porcelain", "--line-porcelain", "--incremental", "-c",
			"--score-debug", "--reverse", "--first-parent", "--minimal", "--no-progress", "--color-lines",
			"--color-by-age", "--no-textconv"),
		with(map[string]gitOpt{}, optValue, "-M", "-C", "--abbrev"),
		with(map[string]gitOpt{}, optRequired, "--date", "--ignore-rev", "--encoding"),
		map[string]gitOpt{"-L": {kind: optRequired, sep: true}})},
	"rev-parse": {opts: merge(
		flags("--verify", "-q", "--quiet", "--symbolic", "--symbolic-full-name", "--show-toplevel",
			"--show-prefix", "--show-cdup", "--is-inside-work-tree", "--is-bare-repository",
			"--is-shallow-repository", "--all"),
		with(map[string]gitOpt{}, optValue, "--abbrev-ref", "--short", "--branches", "--tags", "--remotes"))},
	// describe: not --dirty/--broken, which refresh the index and run a child git.
	"describe": {opts: merge(
		flags("--tags", "--all", "--always", "--long", "--contains", "--exact-match", "--first-parent"),
		with(map[string]gitOpt{}, optRequired, "--abbrev", "--match", "--exclude", "--candidates"))},
	// branch: listing only. -d, -D, -m, -c, -f, -u, --set-upstream-to... change
	// branches; a bare name creates one, so names are allowed only as patterns
	// after --list/-l.
	"branch": {opts: merge(
		flags("-a", "--all", "-r", "--remotes", "-v", "--verbose", "-l", "--list", "--show-current",
			"--no-color", "-i", "--ignore-case", "--omit-empty", "--no-column", "--no-abbrev"),
		with(map[string]gitOpt{}, optValue, "--column", "--abbrev"),
		map[string]gitOpt{
			"--contains": {kind: optValue, sep: true}, "--no-contains": {kind: optValue, sep: true},
			"--merged": {kind: optValue, sep: true}, "--no-merged": {kind: optValue, sep: true},
			"--points-at": {kind: optRequired, sep: true}, "--sort": {kind: optRequired, sep: true},
			"--format": {kind: optRequired, sep: true},
		}),
		positional: func(arg string, st *gitParse) string {
			if !st.listing {
				return fmt.Sprintf("git branch %s would create a branch; only listing runs without approval (use [\"branch\", \"--list\", %q] to match names)", arg, arg)
			}
			return ""
		}},
}

// GitReadOnly says whether sub is one of the read-only subcommands the git
// tool may run without approval (its arguments are still judged, call by
// call). The Duo engine routes a git call to the git tool by it, so the list
// lives here only.
func GitReadOnly(sub string) bool {
	_, ok := gitSubs[sub]
	return ok
}

// gitSubNames lists the allowlisted subcommands for messages.
const gitSubNames = "status, log, diff, show, blame, branch (listing), shortlog, describe, rev-parse"

// judgeGitArgs judges the arguments of one git tool call (without the leading
// "git"). confine refuses a path that leaves the repository or enters .git (the
// Registry passes its resolve). It returns gitRead only when every argument is
// on the allowlist; otherwise the reason names the first argument that is not.
// It never runs anything and never panics, whatever args holds.
func judgeGitArgs(args []string, confine func(path string) error) (gitVerdict, string) {
	if len(args) == 0 {
		return gitInvalid, "args is empty; give a subcommand, e.g. [\"status\"]"
	}
	name := args[0]
	if strings.HasPrefix(name, "-") {
		return gitCommand, fmt.Sprintf("options before the subcommand (%s) can point git at another repository, directory or config; "+
			"start args with one of: %s", name, gitSubNames)
	}
	sub, ok := gitSubs[name]
	if !ok {
		return gitCommand, fmt.Sprintf("git %s is not a read-only subcommand (those are: %s); "+
			"it needs the user's approval like any command", name, gitSubNames)
	}
	st := &gitParse{confine: confine}
	rest := args[1:]
	if name == "branch" {
		for _, a := range rest {
			if a == "--" {
				break
			}
			if a == "--list" || (len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsRune(a, 'l')) {
				st.listing = true
			}
		}
	}
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		var why string
		switch {
		case a == "--":
			for _, p := range rest[i+1:] {
				if sub.positional != nil {
					why = sub.positional(p, st)
				} else {
					why = st.path(name, p)
				}
				if why != "" {
					return gitCommand, why
				}
			}
			return gitRead, ""
		case strings.HasPrefix(a, "--"):
			why, i = st.long(name, sub, rest, i)
		case len(a) > 1 && a[0] == '-':
			why, i = st.short(name, sub, rest, i)
		case sub.positional != nil:
			why = sub.positional(a, st)
		default:
			why = st.path(name, a)
		}
		if why != "" {
			return gitCommand, why
		}
	}
	return gitRead, ""
}

// long judges rest[i], a long option; it returns the index of the last argument
// it used.
func (st *gitParse) long(sub string, s gitSub, rest []string, i int) (string, int) {
	a := rest[i]
	name, val, hasVal := strings.Cut(a, "=")
	opt, ok := s.opts[name]
	if !ok {
		return unlisted(sub, name, s), i
	}
	switch opt.kind {
	case optFlag:
		if hasVal {
			return fmt.Sprintf("git %s %s takes no value", sub, name), i
		}
	case optRequired, optValue:
		if !hasVal && opt.sep && i+1 < len(rest) && !strings.HasPrefix(rest[i+1], "-") {
			i++
			val, hasVal = rest[i], true
		}
	}
	if opt.path && hasVal && val != "" {
		if err := st.confine(val); err != nil {
			return fmt.Sprintf("git %s %s: %v", sub, name, err), i
		}
	}
	return "", i
}

// short judges rest[i], one short option or a bundle of them ("-sb", "-U3",
// "-uno"): letters are flags until one that takes a value, which takes the rest
// of the bundle. It returns the index of the last argument it used.
func (st *gitParse) short(sub string, s gitSub, rest []string, i int) (string, int) {
	a := rest[i]
	if s.counts && allDigits(a[1:]) {
		return "", i // git log -5
	}
	for j := 1; j < len(a); j++ {
		name := "-" + a[j:j+1]
		opt, ok := s.opts[name]
		if !ok {
			return unlisted(sub, name, s), i
		}
		if opt.kind == optFlag {
			continue
		}
		val := a[j+1:]
		// Only a short option standing alone takes the next argument.
		if val == "" && opt.sep && len(a) == 2 && i+1 < len(rest) && !strings.HasPrefix(rest[i+1], "-") {
			i++
			val = rest[i]
		}
		if opt.path && val != "" {
			if err := st.confine(val); err != nil {
				return fmt.Sprintf("git %s %s: %v", sub, name, err), i
			}
		}
		break
	}
	return "", i
}

// path judges an argument git may take as a path: it must stay in the
// repository and out of .git. Revisions pass too: HEAD~1, main..topic and
// HEAD:f.go are harmless relative names.
func (st *gitParse) path(sub, p string) string {
	if err := st.confine(p); err != nil {
		return fmt.Sprintf("git %s %s: %v", sub, p, err)
	}
	return ""
}

// gitRiskyLongOpts are long options left off the allowlists because they write
// files, read files outside the repository, or run programs. The guard does not
// need them (anything not listed needs approval); they only let a message say
// what an abbreviation such as --conten stands for.
var gitRiskyLongOpts = []string{"--contents", "--output", "--output-directory", "--no-index", "--ext-diff",
	"--textconv", "--ignore-revs-file", "--orderfile", "--show-signature", "--stdin", "--exec-path",
	"--git-dir", "--work-tree", "--upload-pack", "--exec", "--ignore-submodules"}

// unlisted explains why an option is not on the allowlist, naming what an
// abbreviation would stand for when it is one.
func unlisted(sub, name string, s gitSub) string {
	if strings.HasPrefix(name, "--") && len(name) > 2 {
		var cands []string
		for full := range s.opts {
			if strings.HasPrefix(full, name) {
				cands = append(cands, full)
			}
		}
		for _, full := range gitRiskyLongOpts {
			if strings.HasPrefix(full, name) {
				cands = append(cands, full+" (not on the read-only list)")
			}
		}
		if len(cands) > 0 {
			sort.Strings(cands)
			return fmt.Sprintf("git %s %s: git would read it as an abbreviation of %s; abbreviated options are not accepted "+
				"without approval, write the full name of an option on the read-only list", sub, name, strings.Join(cands, " or "))
		}
	}
	return fmt.Sprintf("git %s %s is not on the read-only list (it may write files, read files outside the repository or run programs); "+
		"it needs the user's approval like any command", sub, name)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
