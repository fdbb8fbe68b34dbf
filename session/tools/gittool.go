package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

const gitTimeout = 60 * time.Second

// gitAllowed are the read-only subcommands the git tool runs.
var gitAllowed = map[string]bool{"status": true, "log": true, "diff": true, "show": true, "blame": true, "branch": true}

// gitForbiddenFlags write files, run programs or read outside the repository even
// under a read-only subcommand.
var gitForbiddenFlags = []string{"--output", "--ext-diff", "--no-index", "--contents", "--exec", "--upload-pack"}

// branchListFlags are the git branch options that only list. Any other option
// (-d, -D, -m, -c, -f, --set-upstream-to, ...) changes branches and is refused.
var branchListFlags = map[string]bool{
	"-a": true, "--all": true, "-r": true, "--remotes": true, "-v": true, "-vv": true, "--verbose": true,
	"-l": true, "--list": true, "--show-current": true, "--no-color": true, "--color=never": true,
	"-i": true, "--ignore-case": true, "--omit-empty": true, "--column": true, "--no-column": true,
	"--abbrev": true, "--no-abbrev": true,
}

// branchValueFlags take a value, either as "--flag=value" or as the next argument.
var branchValueFlags = map[string]bool{
	"--contains": true, "--no-contains": true, "--merged": true, "--no-merged": true,
	"--points-at": true, "--sort": true, "--format": true,
}

// checkGitArgs returns why args are refused, or "".
func checkGitArgs(args []string) string {
	if len(args) == 0 {
		return "args is empty; give a subcommand, e.g. [\"status\"]"
	}
	sub := args[0]
	if strings.HasPrefix(sub, "-") {
		return fmt.Sprintf("options before the subcommand (%s) are not allowed; start args with one of: status, log, diff, show, blame, branch", sub)
	}
	if !gitAllowed[sub] {
		return fmt.Sprintf("git %s is not allowed: this tool only runs read-only git (status, log, diff, show, blame, branch listing). "+
			"Files are changed with edit_file and create_file; the user decides about commits", sub)
	}
	for _, a := range args[1:] {
		for _, f := range gitForbiddenFlags {
			if a == f || strings.HasPrefix(a, f+"=") {
				return fmt.Sprintf("the option %s is not allowed in the git tool", f)
			}
		}
	}
	if sub == "branch" {
		return checkBranchArgs(args[1:])
	}
	return ""
}

// checkBranchArgs allows git branch only in its listing forms. A bare name would
// create a branch, so names are allowed only as patterns after --list/-l or as the
// value of a listing option (--contains main).
func checkBranchArgs(args []string) string {
	listing := false
	for _, a := range args {
		if a == "--list" || a == "-l" {
			listing = true
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(a, "=")
		switch {
		case a == "--":
			if !listing {
				return "git branch with names creates branches; only listing is allowed (use --list <pattern>)"
			}
		case branchListFlags[a], strings.HasPrefix(a, "--abbrev="), strings.HasPrefix(a, "--column="):
		case branchValueFlags[name]:
			if !hasValue {
				i++ // the next argument is the value
			}
		case strings.HasPrefix(a, "-"):
			return fmt.Sprintf("git branch %s changes branches; only listing is allowed (e.g. [\"branch\", \"-a\"] or [\"branch\", \"--list\", \"feature/*\"])", a)
		default:
			if !listing {
				return fmt.Sprintf("git branch %s would create a branch; only listing is allowed (use [\"branch\", \"--list\", %q] to match names)", a, a)
			}
		}
	}
	return ""
}

// git implements the git tool: read-only subcommands, no pager, no colour, output
// capped.
func (r *Registry) git(ctx context.Context, raw json.RawMessage) Result {
	var a struct {
		Args stringList `json:"args"`
	}
	if res := r.decode(ToolGit, raw, &a); res != nil {
		return *res
	}
	if len(a.Args) > 0 && a.Args[0] == "git" {
		a.Args = a.Args[1:] // ["git", "log"]: the model repeated the program name
	}
	shown := "git " + strings.Join(a.Args, " ")
	if why := checkGitArgs(a.Args); why != "" {
		return failf("%s: refused", shorten(shown, 60)).withOutput("Refused: %s.", why)
	}
	ctx, cancel := context.WithTimeout(ctx, gitTimeout)
	defer cancel()
	full := append([]string{"--no-pager", "-c", "color.ui=never", "-c", "core.quotepath=off"}, a.Args...)
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Dir = r.realRoot
	// Optional locks off: `git status` must not rewrite the index behind the
	// staging layer's back.
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0", "GIT_TERMINAL_PROMPT=0", "GIT_PAGER=cat")
	buf := newHeadTail(r.cfg.MaxOutputBytes)
	var stderr bytes.Buffer
	cmd.Stdout = buf
	cmd.Stderr = &stderr
	err := cmd.Run()
	out := buf.String()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		var exit *exec.ExitError
		code := -1
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		}
		if ctx.Err() != nil {
			msg = fmt.Sprintf("git timed out after %s. %s", gitTimeout, msg)
		}
		return failf("%s: exit %d", shorten(shown, 60), code).withOutput("%s%s\nExit code: %d", out, capHeadTail(msg, 4000), code)
	}
	if strings.TrimSpace(out) == "" {
		out = "(no output)"
	}
	lines := strings.Count(out, "\n")
	return Result{Output: out, Summary: fmt.Sprintf("%s: %s", shorten(shown, 60), plural(lines, "line"))}
}
