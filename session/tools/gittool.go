package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"gitlab.com/wend/wend/internal/gitrun"
	"gitlab.com/wend/wend/session"
)

const gitTimeout = 60 * time.Second

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
	// Optional locks off: `git status` must not rewrite the index behind the
	// staging layer's back. wend's own credentials are stripped as for commands.
	environ := commandEnv(os.Environ(), r.cfg.StripEnv, nil)
	full := append([]string{}, gitrun.Hardened...)
	if gitrun.ReadsWorktree(args[0]) {
		overrides, err := gitrun.FilterOverrides(ctx, r.realRoot, environ)
		if err != nil {
			return failf("%s: cannot read the repository's filter config", shorten(shown, 60)).withOutput(
				"Refused: reading the repository's filter config (to switch its filters off) failed: %v", err)
		}
		full = append(full, overrides...)
	}
	full = append(full, args[0])
	full = append(full, gitrun.SubcommandFlags(args[0])...)
	full = append(full, args[1:]...)
	buf := newHeadTail(r.cfg.MaxOutputBytes)
	_, err := gitrun.Run(ctx, gitrun.Cmd{Dir: r.realRoot, Args: full, Environ: environ, ReadOnly: true, Stdout: buf})
	out := buf.String()
	if err != nil {
		var ge *gitrun.Error
		msg, code := err.Error(), -1
		if errors.As(err, &ge) {
			msg, code = strings.TrimSpace(ge.Stderr), ge.ExitCode
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
