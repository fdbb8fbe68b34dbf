package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"gitlab.com/wend/wend/internal/sandbox"
)

// drainGrace bounds how long output is read after the process group was killed: a
// process that left the group (setsid) may hold the pipe open forever. Only an
// unsandboxed command can do that: a sandboxed one's processes all die with
// the sandbox's init.
const drainGrace = 2 * time.Second

// commandRun is what happened to one shell command.
type commandRun struct {
	output   string
	exitCode int // -1 when killed by a signal or not started
	timedOut bool
	canceled bool
	elapsed  time.Duration
	startErr error
	notice   string // said before the output: the command ran NOT sandboxed
}

// runCommand implements run_command.
func (r *Registry) runCommand(ctx context.Context, raw json.RawMessage) Result {
	var a struct {
		Command        string `json:"command"`
		TimeoutSeconds int    `json:"timeout_seconds"`
		// Network keeps the host's network in the sandbox; the engine asked
		// the user first (EffectNetwork, network.go).
		Network bool `json:"network"`
	}
	if res := r.decode(ToolRunCommand, raw, &a); res != nil {
		return *res
	}
	if strings.TrimSpace(a.Command) == "" {
		return failf("run_command: command is empty")
	}
	timeout, note := r.cfg.DefaultTimeout, ""
	if a.TimeoutSeconds > 0 {
		timeout = time.Duration(a.TimeoutSeconds) * time.Second
		if timeout > r.cfg.MaxTimeout {
			note = fmt.Sprintf("timeout_seconds %d exceeds the maximum; used %s.\n", a.TimeoutSeconds, r.cfg.MaxTimeout)
			timeout = r.cfg.MaxTimeout
		}
	}
	// A captured command needs no snapshots: its writes are known exactly
	// (capture.go). Otherwise snapshot first, so the command is credited
	// only with what changed while it ran, not with edits the user made
	// since the last snapshot.
	capt, snapshot := r.commandCapture()
	if snapshot {
		if err := r.ws.BeforeCommand(ctx); err != nil {
			return failf("run_command: recording the working tree before the command failed: %v", err)
		}
	}
	run := r.shell(ctx, a.Command, timeout, a.Network, capt)
	// Record the command's changes even when the user stopped it.
	changed, notes, afterErr := r.afterCommand(context.WithoutCancel(ctx), capt)
	r.repo.Invalidate()

	short := shorten(strings.Join(strings.Fields(a.Command), " "), 60)
	var b strings.Builder
	b.WriteString(run.notice)
	b.WriteString(note)
	out := run.output
	if out == "" {
		out = "(no output)\n"
	} else if !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	b.WriteString(out)
	res := Result{Changed: changed}
	switch {
	case run.startErr != nil:
		res = failf("run_command: cannot start: %v", run.startErr)
		return res
	case run.timedOut:
		fmt.Fprintf(&b, "Command timed out after %s; it and every process it started were killed.", timeout)
		res.IsError = true
		res.Summary = fmt.Sprintf("ran %s: timed out after %s", short, timeout)
	case run.canceled:
		b.WriteString("Command stopped by the user; it and every process it started were killed.")
		res.IsError = true
		res.Summary = fmt.Sprintf("ran %s: stopped", short)
	default:
		fmt.Fprintf(&b, "Exit code: %d", run.exitCode)
		res.IsError = run.exitCode != 0
		res.Summary = fmt.Sprintf("ran %s: exit %d", short, run.exitCode) // ToolFinished carries the duration
	}
	if afterErr != nil {
		fmt.Fprintf(&b, "\n(recording the command's file changes failed: %v)", afterErr)
	}
	if len(changed) > 0 {
		fmt.Fprintf(&b, "\nFiles changed by the command: %s", strings.Join(changed, ", "))
	}
	for _, n := range notes {
		b.WriteString("\n" + n)
	}
	res.Output = b.String()
	return res
}

// shell runs command with `Shell -c` in the repository root, in its own process
// group, stdin from /dev/null and stdout+stderr into one capped buffer. On timeout
// or cancellation the whole group is killed; when the shell exits on its own, what
// it left running in the background is killed too, so no process outlives the
// call. It blocks until the output pipe is drained (at most drainGrace after the
// kill).
func (r *Registry) shell(ctx context.Context, command string, timeout time.Duration, network bool, capt *sandbox.Capture) commandRun {
	start := time.Now()
	pr, pw, err := os.Pipe()
	if err != nil {
		return commandRun{exitCode: -1, startErr: err}
	}
	defer pr.Close()
	newCmd := func() *exec.Cmd {
		cmd := exec.Command(r.cfg.Shell, "-c", command)
		cmd.Dir = r.realRoot
		cmd.Stdout, cmd.Stderr = pw, pw // an *os.File: the child writes to it directly
		cmd.Env = commandEnv(os.Environ(), r.cfg.StripEnv, r.cfg.Env)
		return cmd
	}
	cmd, cleanup, notice, err := r.startCommand(newCmd, network, capt)
	pw.Close() // only the children hold the write end now
	if err != nil {
		return commandRun{exitCode: -1, startErr: err}
	}
	defer cleanup()
	killGroup := func() { killProcessGroup(cmd.Process) }

	buf := newHeadTail(r.cfg.MaxOutputBytes)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		chunk := make([]byte, 32<<10)
		for {
			n, err := pr.Read(chunk)
			buf.Write(chunk[:n])
			if err != nil {
				return
			}
		}
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	run := commandRun{notice: notice}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var werr error
	select {
	case werr = <-exited:
	case <-timer.C:
		run.timedOut = true
		killGroup()
		werr = <-exited
	case <-ctx.Done():
		run.canceled = true
		killGroup()
		werr = <-exited
	}
	killGroup() // background jobs the shell left behind
	select {
	case <-drained:
	case <-time.After(drainGrace):
		pr.Close() // unblocks the reader
		<-drained
	}
	run.elapsed = time.Since(start)
	run.output = buf.String()
	run.exitCode = 0
	var exit *exec.ExitError
	if errors.As(werr, &exit) {
		run.exitCode = exit.ExitCode()
	} else if werr != nil {
		run.exitCode = -1
	}
	return run
}

// startCommand starts the command newCmd builds: in the sandbox when one is
// configured and works here; otherwise unsandboxed in its own process group,
// with a notice the first time, unless the sandbox is required. cleanup runs
// after the command was waited for. In both cases killing cmd's process
// group ends the command and everything it started.
func (r *Registry) startCommand(newCmd func() *exec.Cmd, network bool, capt *sandbox.Capture) (cmd *exec.Cmd, cleanup func(), notice string, err error) {
	if sb := r.cfg.Sandbox; sb != nil {
		tell, why := sb.Unavailable()
		if why == nil {
			cmd = newCmd()
			cleanup, err := sb.Start(cmd, sandbox.Options{Root: r.realRoot, Network: network, Capture: capt})
			if err != nil {
				return nil, nil, "", fmt.Errorf("the sandbox did not start: %w", err)
			}
			return cmd, cleanup, "", nil
		}
		if sb.Required {
			return nil, nil, "", fmt.Errorf("%v; your configuration requires it (sandbox = \"required\"), so the command did not run", why)
		}
		if tell {
			notice = fmt.Sprintf("[wend: this command runs NOT sandboxed (%v): it can read and write whatever you can and reach the network. Later commands run the same way without this notice.]\n", why)
		}
	}
	cmd = newCmd()
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, nil, "", err
	}
	return cmd, func() {}, notice, nil
}

// CommandIsolation says how run_command runs, for approval requests (the user
// approves a command knowing what it can reach): "runs sandboxed: writes only
// in the repository…, no network, no access to ~/.ssh, …", or "runs NOT
// sandboxed: <why>". It is "" when no sandbox is configured at all.
func (r *Registry) CommandIsolation() string {
	sb := r.cfg.Sandbox
	if sb == nil {
		return ""
	}
	if err := sb.Available(); err != nil {
		if sb.Required {
			return "will not run: the sandbox it requires is unavailable (" + err.Error() + ")"
		}
		return "runs NOT sandboxed (" + err.Error() + ")"
	}
	return "runs sandboxed: " + sb.Limits()
}

// commandEnv is base without the stripped variables, with pagers disabled and
// extra appended (later entries win).
func commandEnv(base, strip, extra []string) []string {
	drop := map[string]bool{}
	for _, k := range strip {
		drop[k] = true
	}
	env := make([]string, 0, len(base)+3+len(extra))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			env = append(env, kv)
		}
	}
	env = append(env, "GIT_PAGER=cat", "PAGER=cat", "GIT_TERMINAL_PROMPT=0")
	return append(env, extra...)
}
