package gitrun

import (
	"context"
	"strings"
)

// Hardened is put before the subcommand of every call the model's git tool
// runs without approval. The repository's own config may come from someone
// else (a copied checkout, an earlier approved command), and it can name
// programs git runs on its own: a pager, an fsmonitor hook, gpg to check
// signatures. Command-line config wins over every config file, and -c reaches
// child gits through GIT_CONFIG_PARAMETERS. External diff and textconv drivers
// are switched off per subcommand (SubcommandFlags), clean/smudge filters by
// name (FilterOverrides).
var Hardened = []string{
	"--no-pager",
	"-c", "color.ui=never",
	"-c", "core.quotepath=off",
	"-c", "core.fsmonitor=false",
	"-c", "core.pager=cat",
	"-c", "log.showSignature=false",
	"-c", "gpg.program=false", "-c", "gpg.openpgp.program=false",
	"-c", "gpg.x509.program=false", "-c", "gpg.ssh.program=false",
	"-c", "status.submoduleSummary=false",
	// "dirty": submodules are compared by commit only, so git never runs a
	// child git in a submodule under that submodule's own config.
	"-c", "diff.ignoreSubmodules=dirty",
	"-c", "blame.ignoreRevsFile=",
}

// Plain is what a caller reading git's output as text asks for: no pager,
// no colour, paths unquoted.
var Plain = []string{"--no-pager", "-c", "color.ui=never", "-c", "core.quotepath=off"}

// subFlags are put right after the subcommand: no external diff program and
// no textconv filter, whatever the config and .gitattributes say.
var subFlags = map[string][]string{
	"diff": {"--no-ext-diff", "--no-textconv"},
	"log":  {"--no-ext-diff", "--no-textconv"},
	"show": {"--no-ext-diff", "--no-textconv"},
	// blame reads the working tree through textconv too.
	"blame": {"--no-textconv"},
}

// SubcommandFlags are the flags that keep sub from running a program the
// repository's config or attributes name; they go right after sub.
func SubcommandFlags(sub string) []string { return subFlags[sub] }

// readsWorktree are the subcommands that may hash working-tree files and so
// run clean filters.
var readsWorktree = map[string]bool{"status": true, "diff": true, "blame": true, "describe": true}

// ReadsWorktree says whether sub may hash working-tree files (and so run the
// repository's clean filters unless FilterOverrides switches them off).
func ReadsWorktree(sub string) bool { return readsWorktree[sub] }

// FilterOverrides switches off the clean/smudge filter drivers that the
// repository's own config in dir (local or worktree scope, includes followed)
// defines: git would run them when it hashes a working-tree file. Drivers from
// the user's global or system config (git-lfs) are the user's own and stay.
// environ is the environment git runs with (nil: wend's own).
func FilterOverrides(ctx context.Context, dir string, environ []string) ([]string, error) {
	out, err := Run(ctx, Cmd{Dir: dir, Environ: environ,
		Args: []string{"config", "-z", "--name-only", "--show-scope", "--includes", "--get-regexp", `^filter\.`}})
	if ExitCode(err) == 1 {
		return nil, nil // no filter keys at all
	}
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var overrides []string
	fields := strings.Split(string(out), "\x00")
	for i := 0; i+1 < len(fields); i += 2 {
		scope, key := fields[i], fields[i+1]
		if scope != "local" && scope != "worktree" {
			continue
		}
		// filter.<driver>.<key>; the driver name may itself contain dots.
		driver := strings.TrimPrefix(key, "filter.")
		if j := strings.LastIndexByte(driver, '.'); j >= 0 {
			driver = driver[:j]
		}
		if seen[driver] {
			continue
		}
		seen[driver] = true
		for _, k := range []string{"clean=", "smudge=", "process=", "required=false"} {
			overrides = append(overrides, "-c", "filter."+driver+"."+k)
		}
	}
	return overrides, nil
}
