package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"gitlab.com/wend/wend/session"
)

const gitTimeout = 60 * time.Second

// gitHardening is put before every subcommand the git tool runs without
// approval. The repository's own config may come from someone else (a copied
// checkout, an earlier approved command), and it can name programs git runs on
// its own: a pager, an fsmonitor hook, gpg to check signatures. Command-line
// config wins over every config file, and -c reaches child gits through
// GIT_CONFIG_PARAMETERS. External diff and textconv drivers are switched off
// per subcommand (gitSubFlags), clean/smudge filters by name (gitFilterOverrides).
var gitHardening = []string{
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

// gitSubFlags are put right after the subcommand: no external diff program and
// no textconv filter, whatever the config and .gitattributes say.
var gitSubFlags = map[string][]string{
	"diff": {"--no-ext-diff", "--no-textconv"},
	"log":  {"--no-ext-diff", "--no-textconv"},
	"show": {"--no-ext-diff", "--no-textconv"},
	// blame reads the working tree through textconv too.
	"blame": {"--no-textconv"},
}

// gitReadsWorktree are the subcommands that may hash working-tree files and so
// run clean filters.
var gitReadsWorktree = map[string]bool{"status": true, "diff": true, "blame": true, "describe": true}

// judgeGit judges args against the read-only allowlist, confining paths like
// read_file does.
func (r *Registry) judgeGit(args []string) (gitVerdict, string) {
	return judgeGitArgs(args, func(p string) error {
		_, err := r.resolve(p)
		return err
	})
}

// gitCallArgs reads the args of a git call leniently, the way the handler does:
// a list or one string, with a repeated leading "git" dropped.
func gitCallArgs(raw json.RawMessage) ([]string, error) {
	var a struct {
		Args stringList `json:"args"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, err
	}
	if len(a.Args) > 0 && a.Args[0] == "git" {
		a.Args = a.Args[1:] // ["git", "log"]: the model repeated the program name
	}
	return a.Args, nil
}

// gitEffect is the Effect of a git call: a read when its arguments are on the
// read-only allowlist, otherwise a command (so read-only refuses it and ask
// asks). It judges the arguments exactly as Execute will hand them to the
// handler (Validate's normalised form), so the two can never disagree; a call
// Validate refuses runs nothing, and Execute reports why.
func (r *Registry) gitEffect(call Call) session.Effect {
	norm, _, ok := r.Validate(call)
	if !ok {
		return session.EffectRead
	}
	args, err := gitCallArgs(norm)
	if err != nil {
		return session.EffectRead // the handler's decode fails the same way
	}
	if v, _ := r.judgeGit(args); v == gitCommand {
		return session.EffectCommand
	}
	return session.EffectRead
}

// gitDetail is the approval dialog's line for a git call: the command and, when
// it needs approval, why.
func (r *Registry) gitDetail(call Call) string {
	args, _ := gitCallArgs(call.Args)
	detail := shorten("git "+strings.Join(args, " "), 100)
	if v, why := r.judgeGit(args); v == gitCommand {
		detail += " (" + shorten(why, 160) + ")"
	}
	return detail
}

// git implements the git tool. Calls on the read-only allowlist run with
// hardened config, no pager, no colour, output capped. Any other call reaches
// this handler only after the engine judged it as a command (Effect) and the
// policy or the user allowed it; it then runs exactly like run_command "git ...",
// with the working tree recorded before and after.
func (r *Registry) git(ctx context.Context, raw json.RawMessage) Result {
	var a struct {
		Args stringList `json:"args"`
	}
	if res := r.decode(ToolGit, raw, &a); res != nil {
		return *res
	}
	args, _ := gitCallArgs(raw)
	shown := "git " + strings.Join(args, " ")
	switch v, why := r.judgeGit(args); v {
	case gitInvalid:
		return failf("%s: refused", shorten(shown, 60)).withOutput("Refused: %s.", why)
	case gitCommand:
		cmd, _ := json.Marshal(map[string]string{"command": shellJoinArgs(append([]string{"git"}, args...))})
		return r.runCommand(ctx, cmd)
	}
	ctx, cancel := context.WithTimeout(ctx, gitTimeout)
	defer cancel()
	full := append([]string{}, gitHardening...)
	if gitReadsWorktree[args[0]] {
		overrides, err := r.gitFilterOverrides(ctx)
		if err != nil {
			return failf("%s: cannot read the repository's filter config", shorten(shown, 60)).withOutput(
				"Refused: reading the repository's filter config (to switch its filters off) failed: %v", err)
		}
		full = append(full, overrides...)
	}
	full = append(full, args[0])
	full = append(full, gitSubFlags[args[0]]...)
	full = append(full, args[1:]...)
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Dir = r.realRoot
	// Optional locks off: `git status` must not rewrite the index behind the
	// staging layer's back. wend's own credentials are stripped as for commands.
	cmd.Env = append(commandEnv(os.Environ(), r.cfg.StripEnv, nil), "GIT_OPTIONAL_LOCKS=0")
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

// gitFilterOverrides switches off the clean/smudge filter drivers that the
// repository's own config (local or worktree scope, includes followed) defines:
// git would run them when it hashes a working-tree file. Drivers from the
// user's global or system config (git-lfs) are the user's own and stay.
func (r *Registry) gitFilterOverrides(ctx context.Context) ([]string, error) {
	cmd := exec.CommandContext(ctx, "git", "config", "-z", "--name-only", "--show-scope", "--includes", "--get-regexp", `^filter\.`)
	cmd.Dir = r.realRoot
	cmd.Env = commandEnv(os.Environ(), r.cfg.StripEnv, nil)
	out, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
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

var shellSafeWord = regexp.MustCompile(`^[A-Za-z0-9_./:=@%+,-]+$`)

// shellJoinArgs quotes args for /bin/sh so each stays one word, exactly as given.
func shellJoinArgs(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if shellSafeWord.MatchString(a) {
			quoted[i] = a
		} else {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}
